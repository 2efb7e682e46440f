//! The whole-cluster simulation over a few hundred short seeds (every fault: delayed and lost
//! link messages, partitions between zones, a slow zone and a stalled one, coordinator leader
//! changes, a zone killed or cut from the registry and started again under its id, and a rush
//! of every player to one place). `cargo run -p mmo-sim --release -- --seeds 10000` runs more.

use mmo_sim::{run, SimConfig, Summary};
use std::collections::BTreeMap;

fn passes(seed: u64) -> Summary {
    run(SimConfig::small(seed)).unwrap_or_else(|violation| panic!("seed {seed}: {violation}"))
}

#[test]
fn three_hundred_seeds_keep_every_invariant_and_exercise_the_faults() {
    let summaries: Vec<Summary> = (1_000..1_300).map(passes).collect();
    // The runs did what they are for: the rush made zones hot and the policy relieved them,
    // leaders changed, messages were lost, and every item of the world was accounted for.
    let hotspot_moves: usize = summaries.iter().map(|s| s.moves.get("hotspot").copied().unwrap_or(0)).sum();
    assert!(hotspot_moves > 300, "hotspot moves over all seeds: {hotspot_moves}");
    assert!(summaries.iter().all(|s| s.leader_terms >= 2), "every run changes leaders");
    assert!(summaries.iter().all(|s| s.zone_crashes == 1), "every run stops a zone once");
    let mut faults: BTreeMap<&str, u32> = BTreeMap::new();
    for (kind, n) in summaries.iter().flat_map(|s| &s.faults) {
        *faults.entry(kind).or_insert(0) += n;
    }
    for kind in ["cut", "slow", "stall", "leader_dies", "crash", "registry_cut", "lease_lost"] {
        assert!(faults.get(kind).is_some_and(|n| *n > 30), "{kind} in too few runs: {faults:?}");
    }
    let recovered: usize = summaries.iter().map(|s| s.moves.get("zone_dead").copied().unwrap_or(0)).sum();
    assert!(recovered > 300, "the dead zones' cells went to live zones: {recovered} moves");
    assert!(summaries.iter().map(|s| s.messages_lost).sum::<u64>() > 1_000);
    // A stopped zone's cells came back from their checkpoints and its players were re-created
    // by their gateways; of its items only those no save or checkpoint held yet were lost (the
    // checker proves every other came back exactly once).
    let restored: usize = summaries.iter().map(|s| s.cells_restored).sum();
    assert!(restored > 300, "cells restored from checkpoints: {restored}");
    let revived: usize = summaries.iter().map(|s| s.players_revived).sum();
    assert!(revived > 1_000, "players re-created after their zone died: {revived}");
    let ever = |s: &Summary| s.items + s.items_lost_with_zones;
    assert!(summaries.iter().all(|s| ever(s) >= 40 * 2), "the players' starter items at least");
    assert!(summaries.iter().filter(|s| ever(s) > 40 * 2).count() > 100, "NPCs killed drop items");
    let lost: usize = summaries.iter().map(|s| s.items_lost_with_zones).sum();
    let held: usize = summaries.iter().map(|s| s.items).sum();
    assert!(lost * 50 < held, "{lost} of {held} items were lost before they were durable");
    assert!(summaries.iter().any(|s| s.max_load_milli > 700), "some zone went over the high watermark");
    // Crowded cells split (their quarters then move like cells), and some merged back (a rare
    // event in runs this short: 5 in these 300 seeds on the terrain with cave entrances).
    let (splits, merges): (usize, usize) =
        summaries.iter().map(|s| (s.splits, s.merges)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(splits > 300 && merges >= 3, "{splits} splits, {merges} merges");
    // Players gave items across zone borders (each exactly once: the checker holds every
    // serial once); some offers were refused, and a few never answered were judged from the
    // stored records (8 in these 300 seeds).
    let gives = summaries.iter().fold(mmo_zone_core::GiveCounts::default(), |mut all, s| {
        all += s.gives;
        all
    });
    assert!(gives.accepted > 1_000 && gives.refused > 50 && gives.checked > 0, "{gives:?}");
}

#[test]
fn a_seed_replays_exactly() {
    let (a, b) = (passes(7), passes(7));
    assert_eq!(a, b);
    assert_ne!(a.digest, passes(8).digest, "another seed, another run");
}

/// Seeds that once broke an invariant, kept as regressions.
#[test]
fn seeds_that_once_failed() {
    // 26, 49: a new coordinator leader knew nothing of its predecessor's cooldowns and moved a
    // cell straight back (fixed: Policy::recall from the registry's event log).
    // 408: a handover caught by a partition left its cell unsimulated while the link was cut
    // (inherent: the source cannot tell whether the destination took it; the check now counts
    // only time with the new owner's links up).
    // 185, 289, 843: a zone started again right as its lease expired was taken for the previous
    // owner of the cells recovered from it, and the zone given one waited for a handover that
    // never came (fixed: takeover compares the zone run's registration with the move's epoch).
    // 4895: after a partition, an input a zone forwarded went round three zones without end
    // (a frozen copy's destination forwarding it on, stale), the frozen copy keeping one more
    // each lap (fixed: an input another zone forwarded to a frozen entity is kept, not sent on).
    // 997: a transfer a stalled zone accepted ahead of its first tick was counted nowhere
    // (fixed: transfers_pending counts accepted transfers not started yet).
    // 1854, 2344: a zone resuming from a stall before any table was written read an empty one,
    // and later took a cell handed to it as unowned while its owner still simulated it.
    // 4863, 7439: a zone that missed a write while stalled waited for a handover from the
    // owner its table showed, which no longer held the cell (fixed: the registry records each
    // move's previous owner). 99, 498: a zone started again waited, by that record, for cells
    // given to its earlier run (fixed: those are taken). 5209: a zone cut from the registry
    // before it read a split simulated the quarters as their parent (the check now sees that).
    // 823, 912: a zone killed before any frame showed its players: their gateways cannot
    // re-create them, and their clients log in again.
    for seed in [26, 49, 99, 185, 289, 408, 498, 823, 843, 912, 997, 1854, 2344, 4863, 4895, 5209, 7439] {
        passes(seed);
    }
}
