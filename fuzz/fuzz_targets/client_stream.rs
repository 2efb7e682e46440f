//! A client's WebTransport control stream: length-prefixed frames arriving in reads of any
//! size. The first byte picks the read sizes. However the bytes are split, the same frames
//! come out (or the same oversize refusal), none longer than the limit, each decoded or
//! refused with a code.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mmo_protocol::framing::FrameReader;
use mmo_protocol::limits::MAX_CLIENT_CONTROL;
use mmo_protocol::{codec, ClientControl};

/// Every frame `bytes` holds, read in pieces of the sizes `sizes` cycles through; the last
/// item is the refusal, if any.
fn frames(bytes: &[u8], sizes: &[usize]) -> Vec<Result<Vec<u8>, usize>> {
    let mut reader = FrameReader::new(MAX_CLIENT_CONTROL);
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let (read, more) = rest.split_at(sizes[i % sizes.len()].min(rest.len()));
        rest = more;
        i += 1;
        reader.push(read);
        loop {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    assert!(frame.len() <= MAX_CLIENT_CONTROL);
                    out.push(Ok(frame));
                }
                Ok(None) => break,
                Err(too_large) => {
                    out.push(Err(too_large.size));
                    return out;
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let sizes = [usize::from(pick % 7) + 1, usize::from(pick / 7) + 1, 4096];
    let pieces = frames(bytes, &sizes);
    assert_eq!(pieces, frames(bytes, &[bytes.len().max(1)]), "the frames depend on how the stream was split");
    for frame in pieces.iter().flatten() {
        if let Err(e) = codec::decode::<ClientControl>(frame, MAX_CLIENT_CONTROL) {
            let _ = e.code();
        }
    }
});
