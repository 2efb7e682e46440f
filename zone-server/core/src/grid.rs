//! A spatial bucket grid of points, rebuilt from scratch every tick, for "who is near here"
//! queries (chase targets, attack hits) without all-pairs loops.
//!
//! The grid covers the bounding box of its points, in square buckets of 8 tiles (bigger when
//! the points are spread over a large area, so the bucket array stays about the size of the
//! point set). Buckets are stored flat (counting sort): no allocation per bucket, and the
//! buffers are reused from tick to tick. Items keep their insertion order within a bucket.

use glam::IVec2;
use mmo_world::physics::SUB_SHIFT;

/// log2 of the smallest bucket side, in sub-units: 8 tiles.
const MIN_SHIFT: i32 = SUB_SHIFT + 3;
/// The bucket array may grow to this many buckets even for few points.
const MIN_BUCKETS: i64 = 4096;

#[derive(Debug, Default)]
pub(crate) struct BucketGrid {
    shift: i32,
    /// Bucket coordinates of bucket (0, 0).
    origin: IVec2,
    cols: i32,
    rows: i32,
    /// `starts[b]..starts[b + 1]` are bucket b's items.
    starts: Vec<u32>,
    items: Vec<u32>,
    points: Vec<(u32, IVec2)>,
}

impl BucketGrid {
    /// Replaces the grid's content with `points` (an item number and its position).
    pub fn rebuild(&mut self, points: impl IntoIterator<Item = (u32, IVec2)>) {
        self.points.clear();
        self.points.extend(points);
        self.starts.clear();
        self.items.clear();
        let Some(&(_, first)) = self.points.first() else {
            (self.cols, self.rows) = (0, 0);
            return;
        };
        let (min, max) = self.points.iter().fold((first, first), |(lo, hi), &(_, p)| (lo.min(p), hi.max(p)));
        let budget = MIN_BUCKETS.max(2 * self.points.len() as i64);
        self.shift = MIN_SHIFT;
        loop {
            let (lo, hi) = (min >> self.shift, max >> self.shift);
            let (cols, rows) = (hi.x - lo.x + 1, hi.y - lo.y + 1);
            if i64::from(cols) * i64::from(rows) <= budget {
                (self.origin, self.cols, self.rows) = (lo, cols, rows);
                break;
            }
            self.shift += 1;
        }
        // Count into starts[b], prefix-sum to bucket ends, then place items from the back so
        // each bucket's start ends up in starts[b] and items keep their order.
        let buckets = (self.cols * self.rows) as usize;
        self.starts.resize(buckets + 1, 0);
        for &(_, p) in &self.points {
            let b = self.bucket(p);
            self.starts[b] += 1;
        }
        let mut end = 0;
        for s in &mut self.starts[..buckets] {
            end += *s;
            *s = end;
        }
        self.starts[buckets] = end;
        self.items.resize(self.points.len(), 0);
        for &(item, p) in self.points.iter().rev() {
            let b = self.bucket(p);
            self.starts[b] -= 1;
            self.items[self.starts[b] as usize] = item;
        }
    }

    fn bucket(&self, p: IVec2) -> usize {
        let c = (p >> self.shift) - self.origin;
        (c.y * self.cols + c.x) as usize
    }

    /// Calls `f` with every item whose bucket overlaps the rectangle `[min, max]` (inclusive):
    /// a superset of the items inside it, so callers test the exact condition.
    pub fn query(&self, min: IVec2, max: IVec2, mut f: impl FnMut(u32)) {
        if self.cols == 0 {
            return;
        }
        let lo = ((min >> self.shift) - self.origin).max(IVec2::ZERO);
        let hi = ((max >> self.shift) - self.origin).min(IVec2::new(self.cols - 1, self.rows - 1));
        if lo.x > hi.x || lo.y > hi.y {
            return;
        }
        for y in lo.y..=hi.y {
            // A row's buckets lo.x..=hi.x are contiguous in `items`.
            let row = (y * self.cols) as usize;
            let (a, b) = (self.starts[row + lo.x as usize], self.starts[row + hi.x as usize + 1]);
            self.items[a as usize..b as usize].iter().for_each(|&i| f(i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::rng::SplitMix64;

    fn near(grid: &BucketGrid, min: IVec2, max: IVec2, points: &[IVec2]) -> Vec<u32> {
        let mut got = Vec::new();
        grid.query(min, max, |i| got.push(i));
        let mut inside: Vec<u32> = got
            .into_iter()
            .filter(|&i| {
                let p = points[i as usize];
                p.cmpge(min).all() && p.cmple(max).all()
            })
            .collect();
        inside.sort_unstable();
        inside
    }

    #[test]
    fn queries_find_exactly_what_brute_force_finds() {
        let mut rng = SplitMix64::new(3);
        for spread in [10_000u32, 2_000_000] {
            let points: Vec<IVec2> =
                (0..500).map(|_| IVec2::new(rng.below(spread) as i32 - 1000, rng.below(spread / 2) as i32)).collect();
            let mut grid = BucketGrid::default();
            grid.rebuild(points.iter().enumerate().map(|(i, &p)| (i as u32, p)));
            for _ in 0..200 {
                let min = IVec2::new(rng.below(spread) as i32 - 2000, rng.below(spread / 2) as i32 - 500);
                let max = min + IVec2::new(rng.below(6000) as i32, rng.below(3000) as i32);
                let brute: Vec<u32> = (0..points.len() as u32)
                    .filter(|&i| points[i as usize].cmpge(min).all() && points[i as usize].cmple(max).all())
                    .collect();
                assert_eq!(near(&grid, min, max, &points), brute);
            }
        }
    }

    #[test]
    fn empty_and_rebuilt_grids() {
        let mut grid = BucketGrid::default();
        grid.rebuild([]);
        grid.query(IVec2::splat(-100), IVec2::splat(100), |_| panic!("empty grid"));
        grid.rebuild([(7, IVec2::new(5, 5))]);
        let mut got = Vec::new();
        grid.query(IVec2::ZERO, IVec2::splat(10), |i| got.push(i));
        assert_eq!(got, [7]);
        grid.rebuild([(1, IVec2::new(-50_000, 9))]);
        got.clear();
        grid.query(IVec2::ZERO, IVec2::splat(10), |i| got.push(i));
        assert!(got.is_empty());
    }
}
