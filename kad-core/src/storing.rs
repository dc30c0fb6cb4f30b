//! The STORE phase of a put, as its own small machine: the record goes to the k closest
//! nodes the lookup found, each with the write token it gave. A STORE not acknowledged
//! within the round trip expected of its node is sent once more (`lookup_retries` times),
//! then the put waits for it no longer once most of the nodes acknowledged (a lost datagram
//! is the usual cause of the wait, and the STORE sent again most likely lands); a late
//! acknowledgement still counts until the put reports how many nodes hold the record. Until
//! most acknowledged (the nodes are all slow, say overloaded), the put waits for every STORE
//! until it is answered or its request timeout passes, so that it does not report a record
//! held by nobody that all of them are about to take.

use std::time::Instant;

use crate::contact::Contact;
use crate::event::StatsClock;
use crate::key::KeyType;
use crate::message::{Request, StoreOutcome};
use crate::record::Record;
use crate::store::ttl_secs;
use crate::token::Token;

/// Where one node of the put stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// A STORE is out and waited for.
    Waiting,
    /// Out, but no longer waited for.
    GaveUp,
    Acked,
    /// Refused, or every STORE timed out.
    Failed,
}

#[derive(Clone, Debug)]
struct Target<A, K> {
    contact: Contact<A, K>,
    token: Token,
    state: State,
    tries: u8,
    outstanding: u8,
}

/// What a put sends: the key, the record, when the record ends, and the sequence number
/// the writer expects to replace (compare-and-swap).
pub(crate) type Outgoing<K> = (K, Record, Instant, Option<u64>);

/// The STOREs of one put.
#[derive(Clone, Debug)]
pub(crate) struct Storing<A, K> {
    key: K,
    record: Record,
    /// When the record ends; each STORE carries what is left of it.
    expires: Instant,
    cas: Option<u64>,
    /// The highest sequence number of the newer versions that refusing nodes claim to hold.
    newest_refused: Option<u64>,
    /// The nodes that refused the record for a newer version.
    refusals: usize,
    targets: Vec<Target<A, K>>,
    retries: u8,
    pub(crate) clock: StatsClock,
    /// Whether the caller waits for a result (false for a republication).
    pub(crate) report: bool,
}

impl<A: Clone, K: KeyType> Storing<A, K> {
    pub(crate) fn new(outgoing: Outgoing<K>, clock: StatsClock, retries: u8, report: bool) -> Self {
        let (key, record, expires, cas) = outgoing;
        Storing {
            key,
            record,
            expires,
            cas,
            newest_refused: None,
            refusals: 0,
            targets: Vec::new(),
            retries,
            clock,
            report,
        }
    }

    /// The STORE to send at `now` with `token`.
    pub(crate) fn request(&self, token: Token, now: Instant) -> Request<K> {
        Request::Store {
            key: self.key,
            record: self.record.clone(),
            ttl_secs: ttl_secs(self.expires, now),
            token,
            cas: self.cas,
        }
    }

    /// A STORE went to `contact`, with `token`.
    pub(crate) fn sent(&mut self, contact: Contact<A, K>, token: Token) {
        self.clock.stats.requests += 1;
        self.targets.push(Target {
            contact,
            token,
            state: State::Waiting,
            tries: 1,
            outstanding: 1,
        });
    }

    fn target(&mut self, id: &K) -> Option<&mut Target<A, K>> {
        self.targets.iter_mut().find(|t| t.contact.id == *id)
    }

    /// `id` answered a STORE.
    pub(crate) fn on_answer(&mut self, id: &K, outcome: StoreOutcome) {
        let accepted = outcome.is_accepted();
        let Some(t) = self.target(id) else {
            return;
        };
        t.outstanding = t.outstanding.saturating_sub(1);
        if !matches!(t.state, State::Waiting | State::GaveUp) {
            return;
        }
        t.state = if accepted {
            State::Acked
        } else {
            State::Failed
        };
        // Only a mutable record can be superseded: a sequence number for another is a lie.
        if let (StoreOutcome::Superseded { seq }, Some(sent)) = (outcome, self.record.seq()) {
            if seq >= sent || self.cas.is_some_and(|cas| seq > cas) {
                self.newest_refused = self.newest_refused.max(Some(seq));
                self.refusals += 1;
            }
        }
        if accepted {
            self.clock.stats.responses += 1;
        } else {
            self.clock.stats.failures += 1;
        }
    }

    /// A STORE to `id` timed out for good: `id` fails once no other STORE to it is out.
    pub(crate) fn on_timeout(&mut self, id: &K) {
        let Some(t) = self.target(id) else {
            return;
        };
        t.outstanding = t.outstanding.saturating_sub(1);
        if t.outstanding == 0 && matches!(t.state, State::Waiting | State::GaveUp) {
            t.state = State::Failed;
            self.clock.stats.failures += 1;
        }
    }

    /// A STORE to `id` was not acknowledged within its expected round trip: the contact and
    /// token to send it to again (`retries` times at most), or `None`. Either way the put
    /// stops waiting for it: a lost datagram is the usual cause, and the STORE sent again
    /// most likely lands; its acknowledgement still counts if it comes before the put ends.
    pub(crate) fn soft_timeout(&mut self, id: &K) -> Option<(Contact<A, K>, Token)> {
        let retries = self.retries;
        let t = self
            .target(id)
            .filter(|t| matches!(t.state, State::Waiting | State::GaveUp))?;
        t.state = State::GaveUp;
        (t.tries <= retries).then(|| (t.contact.clone(), t.token))
    }

    /// The STORE to `id` was sent again.
    pub(crate) fn retry_sent(&mut self, id: &K) {
        if let Some(t) = self.target(id) {
            t.tries = t.tries.saturating_add(1);
            t.outstanding = t.outstanding.saturating_add(1);
            self.clock.stats.requests += 1;
        }
    }

    /// Stops waiting for `id` (its STORE could not be sent again).
    pub(crate) fn give_up(&mut self, id: &K) {
        if let Some(t) = self.target(id).filter(|t| t.state == State::Waiting) {
            t.state = State::GaveUp;
        }
    }

    /// Whether no STORE is waited for any more: none is within its expected round trip, and
    /// most nodes acknowledged or none has a STORE out.
    pub(crate) fn is_finished(&self) -> bool {
        let most_acked = self.acks() * 2 > self.targets.len();
        self.targets.iter().all(|t| match t.state {
            State::Waiting => false,
            State::GaveUp => most_acked || t.outstanding == 0,
            State::Acked | State::Failed => true,
        })
    }

    /// The newest version that nodes which refused the record claim to hold, if more of them
    /// did than took it: a refusal proves nothing, so that one liar among the closest cannot
    /// fail every put.
    pub(crate) fn superseded(&self) -> Option<u64> {
        self.newest_refused.filter(|_| self.refusals > self.acks())
    }

    /// The sequence number of the record, if it is a mutable one.
    pub(crate) fn seq(&self) -> Option<u64> {
        self.record.seq()
    }

    /// The nodes that acknowledged the record.
    pub(crate) fn acks(&self) -> usize {
        self.targets
            .iter()
            .filter(|t| t.state == State::Acked)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::Key;

    fn c(n: u8) -> Contact<u32, Key<20>> {
        Contact::new(Key::new([n; 20]), u32::from(n))
    }

    fn outgoing() -> Outgoing<Key<20>> {
        (c(0).id, Record::Plain(vec![1]), Instant::now(), None)
    }

    #[test]
    fn a_store_is_sent_again_and_no_longer_waited_for_and_a_late_ack_counts() {
        let now = Instant::now();
        let mut s = Storing::new(outgoing(), StatsClock::new(now), 1, true);
        for n in 1..=3 {
            s.sent(c(n), Token::default());
        }
        s.on_answer(&c(2).id, StoreOutcome::Accepted);
        s.on_answer(&c(3).id, StoreOutcome::Accepted);
        assert!(!s.is_finished());
        let again = s.soft_timeout(&c(1).id).map(|(c, _)| c);
        assert_eq!(again, Some(c(1)));
        s.retry_sent(&c(1).id);
        assert!(
            s.is_finished(),
            "most acknowledged: the STORE sent again is not waited for"
        );
        assert_eq!(s.soft_timeout(&c(1).id), None, "sent again once only");
        s.on_timeout(&c(1).id); // the first STORE; the second is still out
        s.on_answer(&c(1).id, StoreOutcome::Accepted);
        assert_eq!(s.acks(), 3);
        assert_eq!(s.clock.stats.requests, 4);
    }

    #[test]
    fn when_most_nodes_are_slow_the_put_waits_for_the_stores_sent_again() {
        let now = Instant::now();
        let mut s = Storing::new(outgoing(), StatsClock::new(now), 1, true);
        for n in 1..=4 {
            s.sent(c(n), Token::default());
        }
        s.on_answer(&c(4).id, StoreOutcome::Accepted);
        for n in 1..=3 {
            assert!(s.soft_timeout(&c(n).id).is_some());
            s.retry_sent(&c(n).id);
        }
        // One of four acknowledged: every node may merely be slow (an overloaded network),
        // and a put that stopped now would report a record held by one node.
        assert!(!s.is_finished());
        for n in 1..=2 {
            s.on_answer(&c(n).id, StoreOutcome::Accepted);
        }
        assert!(s.is_finished(), "three of four acknowledged");
        assert_eq!(s.acks(), 3);
    }

    #[test]
    fn a_store_that_timed_out_for_good_is_not_waited_for() {
        let now = Instant::now();
        let mut s = Storing::new(outgoing(), StatsClock::new(now), 1, true);
        s.sent(c(1), Token::default());
        assert!(s.soft_timeout(&c(1).id).is_some());
        s.retry_sent(&c(1).id);
        assert!(!s.is_finished());
        s.on_timeout(&c(1).id);
        assert!(!s.is_finished(), "the STORE sent again is still out");
        s.on_timeout(&c(1).id);
        assert!(s.is_finished());
        assert_eq!(s.acks(), 0);
    }

    #[test]
    fn refusals_and_timeouts_are_not_acks() {
        let now = Instant::now();
        let mut s = Storing::new(outgoing(), StatsClock::new(now), 0, true);
        s.sent(c(1), Token::default());
        s.sent(c(2), Token::default());
        s.on_answer(&c(1).id, StoreOutcome::Refused);
        s.on_timeout(&c(2).id);
        assert!(s.is_finished());
        assert_eq!(s.acks(), 0);
        assert_eq!(s.clock.stats.failures, 2);
    }

    #[test]
    fn a_newer_version_counts_only_when_more_nodes_claim_it_than_took_the_record() {
        let now = Instant::now();
        let keys = crate::signed::Keypair::from_secret_bytes([1; 32]);
        let record = crate::signed::MutableRecord::sign(&keys, b"", 4, vec![1]).unwrap();
        let outgoing = (c(0).id, Record::from(record), now, Some(3));
        let mut s = Storing::new(outgoing, StatsClock::new(now), 0, true);
        for n in 1..=4 {
            s.sent(c(n), Token::default());
        }
        // One liar among the closest claims a far newer version; two nodes took it.
        s.on_answer(&c(1).id, StoreOutcome::Superseded { seq: u64::MAX });
        s.on_answer(&c(2).id, StoreOutcome::Accepted);
        s.on_answer(&c(3).id, StoreOutcome::Accepted);
        assert_eq!(s.superseded(), None);
        // Had most of them refused it, the put would say so.
        let mut t = s.clone();
        t.on_answer(&c(4).id, StoreOutcome::Superseded { seq: 5 });
        assert_eq!(t.superseded(), None, "two refusals, two acks");
        let record = crate::signed::MutableRecord::sign(&keys, b"", 4, vec![1]).unwrap();
        let mut u = Storing::new(
            (c(0).id, Record::from(record), now, Some(3)),
            StatsClock::new(now),
            0,
            true,
        );
        for n in 1..=3 {
            u.sent(c(n), Token::default());
        }
        u.on_answer(&c(1).id, StoreOutcome::Superseded { seq: 5 });
        u.on_answer(&c(2).id, StoreOutcome::Superseded { seq: 6 });
        u.on_answer(&c(3).id, StoreOutcome::Accepted);
        assert_eq!(u.superseded(), Some(6));
    }
}
