//! The items the client is told of: its inventory and the ground items in view. Sans-IO.
//!
//! Both are sent whole on the control stream, and only when they differ from what the client
//! was last sent: the inventory as the newest frame holding the player shows it, the ground
//! items of that tick's frames within view, by serial.

use super::interest::{in_view, tile_of};
use mmo_protocol::{CellFrame, EntityState, GroundItem, InventoryItem, ServerControl};

/// What the client was last told of items.
#[derive(Debug, Default)]
pub(super) struct ItemsSent {
    /// The inventory last sent (`None`: not sent yet).
    inventory: Option<Vec<InventoryItem>>,
    /// The ground items in view last sent, by serial.
    ground: Vec<GroundItem>,
}

impl ItemsSent {
    /// The messages to send for the player as `own` in `frames` (each cell's frame of that
    /// tick): the inventory if it changed, then the ground items in view if they changed.
    /// What they tell counts as sent from now on.
    pub(super) fn changes(&mut self, own: &EntityState, frames: &[&CellFrame]) -> Vec<ServerControl> {
        let mut out = Vec::new();
        if self.inventory.as_ref() != Some(&own.items) {
            self.inventory = Some(own.items.clone());
            out.push(ServerControl::Inventory { items: own.items.clone() });
        }
        let ground = ground_in_view(frames, tile_of(own.body.pos));
        if ground != self.ground {
            self.ground = ground.clone();
            out.push(ServerControl::Ground { items: ground });
        }
        out
    }
}

/// The ground items within view of `tile`, by serial, from `frames` (one per cell).
fn ground_in_view(frames: &[&CellFrame], tile: glam::IVec2) -> Vec<GroundItem> {
    let mut items: Vec<GroundItem> =
        frames.iter().flat_map(|f| &f.items).filter(|g| in_view(tile, g.pos)).copied().collect();
    items.sort_unstable_by_key(|g| g.serial);
    items.dedup_by_key(|g| g.serial);
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::held::tests::frame;
    use crate::view::tests::npc;
    use glam::IVec2;
    use mmo_world::physics::SUB_SHIFT;
    use mmo_world::ItemSerial;

    const TILE: i32 = 1 << SUB_SHIFT;

    /// The player standing on tile (10, 10) with `items`.
    fn player(items: &[u64]) -> EntityState {
        let mut own = npc(1, 0);
        own.body.pos = IVec2::new(10 * TILE, 10 * TILE);
        own.items = items.iter().map(|&serial| InventoryItem { serial: ItemSerial(serial), kind: 7 }).collect();
        own
    }

    fn on_ground(serial: u64, tile_x: i32) -> GroundItem {
        GroundItem { serial: ItemSerial(serial), kind: 3, pos: IVec2::new(tile_x * TILE, 10 * TILE) }
    }

    /// A frame of cell `cell` holding `items`.
    fn cell_with(cell: u16, items: Vec<GroundItem>) -> CellFrame {
        let mut f = (*frame(cell, 1, 5, Vec::new())).clone();
        f.items = items;
        f
    }

    fn ground_of(messages: &[ServerControl]) -> Option<Vec<u64>> {
        messages.iter().find_map(|m| match m {
            ServerControl::Ground { items } => Some(items.iter().map(|g| g.serial.0).collect()),
            _ => None,
        })
    }

    #[test]
    fn ground_items_in_view_are_sent_only_when_the_set_changes() {
        let mut sent = ItemsSent::default();
        let a = cell_with(0, vec![on_ground(9, 12), on_ground(4, 8)]);
        // Serial 5 lies 100 tiles away: out of view.
        let b = cell_with(1, vec![on_ground(5, 110)]);
        let first = sent.changes(&player(&[]), &[&a, &b]);
        assert_eq!(ground_of(&first), Some(vec![4, 9]), "in view, by serial");
        assert_eq!(ground_of(&sent.changes(&player(&[]), &[&a, &b])), None, "nothing changed");
        // Someone picked up serial 4.
        let a = cell_with(0, vec![on_ground(9, 12)]);
        assert_eq!(ground_of(&sent.changes(&player(&[]), &[&a, &b])), Some(vec![9]));
        // The last item goes: an empty list is sent once.
        let a = cell_with(0, Vec::new());
        assert_eq!(ground_of(&sent.changes(&player(&[]), &[&a, &b])), Some(vec![]));
        assert_eq!(ground_of(&sent.changes(&player(&[]), &[&a, &b])), None);
    }

    #[test]
    fn an_item_seen_in_two_cells_is_listed_once() {
        let mut sent = ItemsSent::default();
        let a = cell_with(0, vec![on_ground(4, 8)]);
        let b = cell_with(1, vec![on_ground(4, 8)]);
        assert_eq!(ground_of(&sent.changes(&player(&[]), &[&a, &b])), Some(vec![4]));
    }

    #[test]
    fn the_inventory_is_sent_first_and_again_only_when_it_changes() {
        let mut sent = ItemsSent::default();
        let inventory = |m: &[ServerControl]| {
            m.iter().find_map(|m| match m {
                ServerControl::Inventory { items } => Some(items.iter().map(|i| i.serial.0).collect::<Vec<_>>()),
                _ => None,
            })
        };
        let first = sent.changes(&player(&[]), &[]);
        assert_eq!(inventory(&first), Some(vec![]), "an empty inventory is still told once");
        assert_eq!(inventory(&sent.changes(&player(&[]), &[])), None);
        let picked = sent.changes(&player(&[4]), &[&cell_with(0, vec![on_ground(9, 10)])]);
        assert!(matches!(picked[0], ServerControl::Inventory { .. }), "inventory before ground: {picked:?}");
        assert_eq!(inventory(&picked), Some(vec![4]));
        assert_eq!(inventory(&sent.changes(&player(&[4]), &[])), None);
    }
}
