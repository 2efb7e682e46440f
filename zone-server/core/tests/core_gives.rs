//! `/give` across a zone border, between two zone cores (zone 1 the west half, zone 2 the east
//! half): Ann stands west of the border, Bea just east of it. The tests play the runtime's part
//! by hand: which batches of writes became durable (`seal_batch`, `saved`), and the stored
//! records read for offers left unanswered.

mod support;

use glam::IVec2;
use mmo_records::{PeerMessage, PlayerRecord};
use mmo_world::physics::SUB;
use mmo_world::{CellId, EntityId, ItemSerial, Terrain, WorldGeometry, ZoneId};
use mmo_zone_core::{ANSWER_TICKS, OFFER_TICKS};
use support::Cluster;

const WEST: ZoneId = ZoneId(1);
const EAST: ZoneId = ZoneId(2);

struct Border {
    cluster: Cluster,
    ann: EntityId,
    bea: EntityId,
}

/// Ann 2 tiles west of the border, Bea 1 tile east of it, on flat ground; ticked until each
/// zone sees the other's player as a ghost.
fn border() -> Border {
    let geometry = WorldGeometry::default();
    let border = i32::from(geometry.width_cells / 2) * i32::from(geometry.cell_tiles);
    let seed = (1..100_000u64)
        .find(|&seed| {
            let t = Terrain::new(seed, geometry);
            let y = t.surface(border);
            (border - 4..=border + 4).all(|x| t.surface(x) == y)
        })
        .expect("some seed is flat there");
    let ground = Terrain::new(seed, geometry).surface(border) * SUB;
    let mut cluster = Cluster::halves(seed, geometry, 0);
    let ann = cluster.core_mut(WEST).join_at("ann".into(), None, IVec2::new((border - 2) * SUB, ground)).unwrap();
    let bea = cluster.core_mut(EAST).join_at("bea".into(), None, IVec2::new(border * SUB + SUB / 2, ground)).unwrap();
    for _ in 0..3 {
        cluster.tick();
    }
    assert!(cluster.core(WEST).ghosts().iter().any(|(g, _)| *g == bea), "Ann's zone sees Bea");
    Border { cluster, ann, bea }
}

impl Border {
    fn items(&self, zone: ZoneId, id: EntityId) -> Vec<ItemSerial> {
        let report = self.cluster.core(zone).report();
        let e = report.entities.iter().find(|e| e.id == id).expect("the player is there");
        e.items.iter().map(|i| i.serial).collect()
    }

    fn escrow(&self) -> Vec<ItemSerial> {
        self.cluster.core(WEST).report().escrow.iter().map(|i| i.serial).collect()
    }

    /// Every write of each zone so far is durable.
    fn all_saved(&mut self) {
        for zone in [WEST, EAST] {
            let core = self.cluster.core_mut(zone);
            let batch = core.seal_batch();
            core.saved(batch);
        }
        self.cluster.route();
    }

    /// Ann gives her newest item to Bea; the item.
    fn give(&mut self) -> ItemSerial {
        let given = *self.items(WEST, self.ann).last().unwrap();
        self.cluster.core_mut(WEST).chat(self.ann, "/give bea".into());
        given
    }

    /// Ann gives her newest item to Bea, her save is durable, and the offer her zone sends is
    /// lost or held up on the way: the item and the offer.
    fn give_and_hold_up_the_offer(&mut self) -> (ItemSerial, PeerMessage) {
        let given = self.give();
        let core = self.cluster.core_mut(WEST);
        let batch = core.seal_batch();
        core.saved(batch);
        let mut out = core.drain_outbox();
        let at = out.iter().position(|(_, m)| matches!(m, PeerMessage::GiveOffer(_))).expect("an offer was sent");
        (given, out.remove(at).1)
    }
}

#[test]
fn an_item_given_across_the_border_is_offered_once_the_givers_save_is_durable_and_moves_once() {
    let mut b = border();
    let (ann_items, bea_items) = (b.items(WEST, b.ann), b.items(EAST, b.bea));
    let given = b.give();
    assert_eq!(b.items(WEST, b.ann), ann_items[..ann_items.len() - 1], "the item left Ann");
    assert_eq!(b.escrow(), [given], "into her zone's escrow");
    // Her zone's next checkpoint of her cell keeps it, with who gave it to whom.
    let cell = CellId::new(1, 0);
    let checkpoint = b.cluster.core_mut(WEST).take_checkpoints().into_iter().find(|c| !c.gives.is_empty());
    let checkpoint = checkpoint.expect("a checkpoint with the escrow");
    assert_eq!(checkpoint.cell.x, cell.x, "Ann's cell, west of the border");
    assert_eq!((&*checkpoint.gives[0].from, &*checkpoint.gives[0].to), ("ann", "bea"));

    // Nothing is offered while the batch with Ann's save and that checkpoint is not durable.
    let batch = b.cluster.core_mut(WEST).seal_batch();
    for _ in 0..5 {
        b.cluster.tick();
    }
    assert_eq!(b.items(EAST, b.bea), bea_items, "no offer before the save is durable");
    b.cluster.core_mut(WEST).saved(batch);
    b.cluster.route();
    assert_eq!(b.items(EAST, b.bea), [bea_items.clone(), vec![given]].concat(), "Bea's zone accepted it");
    assert_eq!(b.escrow(), [given], "no answer before Bea's save is durable");

    b.all_saved();
    assert!(b.escrow().is_empty(), "the acceptance settled the escrow");
    for _ in 0..5 {
        b.cluster.tick();
    }
    assert_eq!(b.items(WEST, b.ann), ann_items[..ann_items.len() - 1]);
    assert_eq!(b.items(EAST, b.bea), [bea_items, vec![given]].concat());
    assert_eq!(b.cluster.core(WEST).give_counts().accepted, 1);
}

#[test]
fn an_offer_reaching_its_receiver_after_the_deadline_is_refused_and_the_item_returns() {
    let mut b = border();
    let (ann_items, bea_items) = (b.items(WEST, b.ann), b.items(EAST, b.bea));
    let (given, offer) = b.give_and_hold_up_the_offer();
    for _ in 0..=OFFER_TICKS {
        b.cluster.tick();
    }
    b.cluster.core_mut(EAST).handle_peer(WEST, offer);
    b.cluster.route();
    assert_eq!(b.items(EAST, b.bea), bea_items, "refused: too late");
    let back = b.items(WEST, b.ann);
    assert_eq!(back.len(), ann_items.len(), "the item is Ann's again");
    assert!(back.contains(&given));
    assert_eq!(b.escrow(), [given], "until her save holding it again is durable");
    b.all_saved();
    assert!(b.escrow().is_empty());
    assert_eq!(b.cluster.core(WEST).give_counts().refused, 1);
}

/// Bea logged out before the offer reached her zone: it is refused at once, and the item is
/// Ann's again without waiting for an answer that cannot come.
#[test]
fn an_offer_to_a_receiver_who_left_is_refused_at_once() {
    let mut b = border();
    let (given, offer) = b.give_and_hold_up_the_offer();
    b.cluster.core_mut(EAST).leave_saved(b.bea).expect("Bea's final record");
    b.cluster.core_mut(EAST).handle_peer(WEST, offer);
    b.cluster.route();
    assert!(b.items(WEST, b.ann).contains(&given), "refused: the item is Ann's again");
    b.all_saved();
    assert!(b.escrow().is_empty());
    assert_eq!(b.cluster.core(WEST).give_counts(), mmo_zone_core::GiveCounts { accepted: 0, refused: 1, checked: 0 });
}

/// The offer never arrives (lost with a link, its receiver's zone died): after
/// [`ANSWER_TICKS`] Ann's zone asks for Bea's stored record; the give's receipt there means it
/// was accepted, its absence that it was not.
#[test]
fn an_unanswered_offer_is_judged_from_the_receivers_stored_record() {
    for accepted in [false, true] {
        let mut b = border();
        let (given, offer) = b.give_and_hold_up_the_offer();
        let PeerMessage::GiveOffer(offer) = offer else { unreachable!() };
        for _ in 0..ANSWER_TICKS {
            b.cluster.tick();
        }
        assert!(b.cluster.core_mut(WEST).take_give_checks().is_empty(), "not before {ANSWER_TICKS} ticks");
        b.cluster.tick();
        let checks = b.cluster.core_mut(WEST).take_give_checks();
        assert_eq!(checks.len(), 1);
        assert_eq!((checks[0].0, &*checks[0].1), (offer.id, "bea"));
        let mut stored = PlayerRecord::new("bea", None, IVec2::ZERO, CellId::new(2, 0));
        // An earlier pickup of the same item leaves its serial among the receipts: it says
        // nothing about this give.
        stored.picked.push(given);
        if accepted {
            stored.picked.push(offer.id.receipt());
        }
        b.cluster.core_mut(WEST).give_checked(offer.id, Some(&stored));
        b.all_saved();
        assert!(b.escrow().is_empty());
        assert_eq!(b.items(WEST, b.ann).contains(&given), !accepted, "accepted: {accepted}");
        assert_eq!(b.cluster.core(WEST).give_counts().checked, 1);
    }
}

/// Ann logs out before her give was offered: it is called off, and her final record holds the
/// item.
#[test]
fn a_give_not_offered_yet_is_called_off_when_the_giver_logs_out() {
    let mut b = border();
    let given = b.give();
    let record = b.cluster.core_mut(WEST).leave_saved(b.ann).expect("Ann's final record");
    assert!(record.holds(given));
    assert!(b.escrow().is_empty());
    b.all_saved();
    assert!(b.cluster.core_mut(WEST).drain_outbox().iter().all(|(_, m)| !matches!(m, PeerMessage::GiveOffer(_))));
}

/// A give to nobody within reach across the border does nothing.
#[test]
fn a_give_to_nobody_in_reach_does_nothing() {
    let mut b = border();
    let before = b.items(WEST, b.ann);
    b.cluster.core_mut(WEST).chat(b.ann, "/give cy".into());
    b.cluster.tick();
    assert_eq!(b.items(WEST, b.ann), before);
    assert!(b.escrow().is_empty());
}
