//! Unique numbers in hand: blocks of the durable store's counter (its `allocate_serials`, never
//! the same number twice, across zones and across restarts), taken one at a time. The runtime
//! refills a reserve when [`Reserve::wanted`] asks; a reserve that ran dry gives nothing, and
//! the caller skips or refuses what needed the number.

use mmo_world::SerialBlock;
use std::collections::VecDeque;
use std::ops::Range;

#[derive(Debug)]
pub(crate) struct Reserve {
    ranges: VecDeque<Range<u64>>,
    /// How many numbers to ask for at a time; below half of it the reserve asks.
    block: u64,
}

impl Reserve {
    pub fn new(block: u64) -> Self {
        Reserve { ranges: VecDeque::new(), block }
    }

    pub fn add(&mut self, block: SerialBlock) {
        if !block.is_empty() {
            self.ranges.push_back(block.start.0..block.end.0);
        }
    }

    /// The next number, if any is in hand.
    pub fn take(&mut self) -> Option<u64> {
        let range = self.ranges.front_mut()?;
        let n = range.next()?;
        if range.is_empty() {
            self.ranges.pop_front();
        }
        Some(n)
    }

    fn len(&self) -> u64 {
        self.ranges.iter().map(|r| r.end - r.start).sum()
    }

    /// How many numbers to ask the store for now (0: enough in hand).
    pub fn wanted(&self) -> u64 {
        if self.len() < self.block / 2 {
            self.block
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_out_in_block_order_and_a_low_reserve_asks_for_a_block() {
        let mut reserve = Reserve::new(4);
        assert_eq!(reserve.wanted(), 4);
        reserve.add(SerialBlock::from_start(10, 2));
        reserve.add(SerialBlock::from_start(40, 1));
        assert_eq!(reserve.wanted(), 0, "3 in hand, half a block is 2");
        assert_eq!(reserve.take(), Some(10));
        assert_eq!(reserve.take(), Some(11));
        assert_eq!(reserve.wanted(), 4);
        assert_eq!(reserve.take(), Some(40));
        assert_eq!(reserve.take(), None);
    }
}
