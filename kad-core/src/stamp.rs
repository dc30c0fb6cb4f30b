//! Instants in eight bytes. A routing-table entry keeps when its contact was last heard from;
//! an `Instant` takes sixteen bytes, a third of an entry, and a simulator keeps tens of
//! millions of entries. A [`Stamp`] is the signed number of nanoseconds from a reference
//! instant: the first instant any stamp was made of in the process, so that no clock is read
//! and the caller's time stays the only time. Converting back gives the same instant, and
//! stamps compare as their instants do, within 292 years either side of the reference
//! (beyond, they saturate).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The instant every stamp counts from.
static REFERENCE: OnceLock<Instant> = OnceLock::new();

/// An instant, as nanoseconds from [`REFERENCE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Stamp(i64);

impl Stamp {
    /// The stamp of `t`.
    pub(crate) fn of(t: Instant) -> Stamp {
        let reference = *REFERENCE.get_or_init(|| t);
        let nanos = |d: Duration| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX);
        match t.checked_duration_since(reference) {
            Some(after) => Stamp(nanos(after)),
            None => Stamp(-nanos(reference.duration_since(t))),
        }
    }

    /// The instant this is the stamp of.
    pub(crate) fn instant(self) -> Instant {
        // Set by the `of` that made this stamp; the fallback is never taken.
        let reference = *REFERENCE.get_or_init(Instant::now);
        let offset = Duration::from_nanos(self.0.unsigned_abs());
        let t = if self.0 >= 0 {
            reference.checked_add(offset)
        } else {
            reference.checked_sub(offset)
        };
        t.unwrap_or(reference)
    }

    /// Whether at least `age` passed from this stamp to `now` (none if `now` is earlier), as
    /// `now.saturating_duration_since(self.instant()) >= age` says, without converting back:
    /// maintenance and answers ask this of many entries at a time.
    pub(crate) fn aged(self, now: Stamp, age: Duration) -> bool {
        let elapsed = u64::try_from(now.0.saturating_sub(self.0)).unwrap_or(0);
        u128::from(elapsed) >= age.as_nanos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_convert_back_exactly_and_compare_as_their_instants() {
        let base = Instant::now();
        let first = Stamp::of(base);
        let times = [
            base,
            base + Duration::from_nanos(1),
            base + Duration::from_secs(86_400 * 365),
            base.checked_sub(Duration::from_millis(3)).unwrap_or(base),
        ];
        for a in times {
            assert_eq!(Stamp::of(a).instant(), a);
            for b in times {
                assert_eq!(Stamp::of(a).cmp(&Stamp::of(b)), a.cmp(&b));
            }
        }
        assert_eq!(first.instant(), base);
    }

    #[test]
    fn aged_agrees_with_the_instants() {
        let base = Instant::now();
        let ms = Duration::from_millis;
        let times = [
            base,
            base + ms(1),
            base + ms(999),
            base + ms(1000),
            base + ms(5000),
        ];
        for seen in times {
            for now in times {
                for age in [ms(0), ms(1), ms(1000), Duration::MAX] {
                    assert_eq!(
                        Stamp::of(seen).aged(Stamp::of(now), age),
                        now.saturating_duration_since(seen) >= age,
                        "{seen:?} {now:?} {age:?}"
                    );
                }
            }
        }
    }
}
