//! A gateway is gone while one of its players is in a transfer between two zones: frozen on
//! the zone it leaves, not yet taken by the zone it walks into. Neither zone simulates it, so
//! neither finds it among the players routed through that gateway; it must still be logged out
//! (and saved) wherever it lands, not left in the world without a session, holding its items
//! while its client resumes it elsewhere from its record.

mod support;

use glam::IVec2;
use mmo_records::SessionRoute;
use mmo_world::physics::SUB;
use mmo_world::{Buttons, GatewayId, SessionId, Terrain, WorldGeometry, ZoneId};
use support::Cluster;

const WEST: ZoneId = ZoneId(1);
const EAST: ZoneId = ZoneId(2);
const GONE: GatewayId = GatewayId(3);

#[test]
fn a_player_in_transit_when_its_gateway_is_gone_is_logged_out_where_it_lands() {
    let geometry = WorldGeometry::default();
    let mut cluster = Cluster::halves(7, geometry, 0);
    let border_tile = i32::from(geometry.width_cells / 2) * i32::from(geometry.cell_tiles);
    let terrain = Terrain::new(7, geometry);
    let start = IVec2::new((border_tile - 2) * SUB, terrain.surface(border_tile - 2) * SUB);
    let route = SessionRoute { gateway: GONE, session: SessionId(1) };
    let id = cluster.core_mut(WEST).join_at("walker".into(), Some(route), start).expect("joined");
    let items = cluster.core(WEST).report().entities.into_iter().find(|e| e.id == id).unwrap().items;

    // Walk east, ticking the zones without delivering their messages, until the west zone
    // hands the player over: frozen there, the transfer not delivered yet.
    let mut seq = 0;
    while !cluster.core(WEST).is_frozen(id) {
        assert!(seq < 400, "the player never reached the border");
        seq += 1;
        cluster.core_mut(WEST).push_input(id, seq, Buttons(Buttons::RIGHT | Buttons::JUMP));
        cluster.now = cluster.now.next();
        let now = cluster.now;
        for core in &mut cluster.cores {
            core.tick(now, &mut ());
        }
    }
    assert!(cluster.holders(id).is_empty(), "in transit: no zone simulates it");

    // The gateway is gone: each zone's runtime logs out the players routed through it.
    for zone in [WEST, EAST] {
        assert!(cluster.core(zone).players_routed_through(GONE).is_empty(), "{zone} simulates none of them");
    }
    assert_eq!(cluster.core_mut(WEST).leave_in_transit(GONE), 1, "the west zone holds it frozen");
    assert_eq!(cluster.core_mut(EAST).leave_in_transit(GONE), 0);

    // The transfer goes through; the player lands on the east zone and is logged out there.
    let mut logged_out = Vec::new();
    for _ in 0..5 {
        cluster.tick();
        for core in &mut cluster.cores {
            logged_out.extend(core.take_logged_out().into_iter().map(|r| (core.config().zone, r)));
        }
    }
    assert!(cluster.holders(id).is_empty(), "nobody plays it any more: {:?}", cluster.holders(id));
    assert_eq!(logged_out.len(), 1, "one final record to save");
    let (zone, out) = &logged_out[0];
    let record = &out.record;
    assert_eq!((*zone, record.name.as_str()), (EAST, "walker"), "saved where it landed");
    assert_eq!(out.gateway, Some(GONE), "with the gateway it played through: its claim is released once saved");
    let saved: Vec<_> = record.inventory.iter().map(|i| i.serial).collect();
    assert_eq!(saved, items.iter().map(|i| i.serial).collect::<Vec<_>>(), "with its items");
}
