variable "settings" {
  description = <<-EOT
    Every input of the root module (terraform/variables.tf), as one object with the same
    attribute names. The root module validates them and terraform/render passes samples;
    tests/test_render.py checks that the samples name every root variable.
  EOT
  type        = any
}
