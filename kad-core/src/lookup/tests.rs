//! Unit tests of the lookup machine.
use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::key::Key;

type Id = Key<20>;

/// The contact at distance `n` from the all-zero target: a lower `n` is closer.
fn c(n: u8) -> Contact<u32, Id> {
    let mut id = [0; 20];
    id[19] = n;
    Contact::new(Key::new(id), u32::from(n))
}

fn lookup(k: usize, alpha: usize) -> Lookup<u32, Id> {
    Lookup::new(Key::new([0; 20]), k, alpha, 4 * k, Instant::now())
}

fn ids<'a>(contacts: impl IntoIterator<Item = &'a Contact<u32, Id>>) -> Vec<u8> {
    contacts.into_iter().map(|c| c.id.as_bytes()[19]).collect()
}

/// Every request the lookup sends now.
fn ask(l: &mut Lookup<u32, Id>) -> Vec<u8> {
    ids(&std::iter::from_fn(|| l.next_request()).collect::<Vec<_>>())
}

fn answer(l: &mut Lookup<u32, Id>, n: u8, contacts: &[u8]) {
    l.on_nodes(
        &c(n).id,
        contacts.iter().copied().map(c).collect(),
        Token::default(),
    );
}

#[test]
fn alpha_in_flight_until_alpha_answers_in_a_row_bring_nothing_closer() {
    let mut l = lookup(8, 2);
    l.add_contacts((10..=25).map(c), 1);
    assert_eq!(ask(&mut l), [10, 11]);
    answer(&mut l, 10, &[]);
    assert_eq!(ask(&mut l), [12]);
    answer(&mut l, 11, &[5]); // closer: the count starts again
    assert_eq!(ask(&mut l), [5]);
    answer(&mut l, 12, &[]);
    assert_eq!(ask(&mut l), [13]);
    answer(&mut l, 5, &[]); // the second in a row without progress
    assert_eq!(ask(&mut l), [14, 15, 16]); // the rest of the 8 closest at once
    assert_eq!(l.paths[0].in_flight, 4);
}

#[test]
fn finishes_exactly_when_the_k_closest_live_candidates_have_answered() {
    let mut l = lookup(3, 3);
    l.add_contacts((1..=4).map(c), 1);
    assert_eq!(ask(&mut l), [1, 2, 3]);
    l.on_failure(&c(2).id);
    assert_eq!(ask(&mut l), [4]);
    answer(&mut l, 1, &[]);
    answer(&mut l, 3, &[]);
    assert!(!l.is_finished()); // 4 is one of the 3 closest live ones
    answer(&mut l, 4, &[]);
    assert!(l.is_finished());
    l.add_contacts([c(9)], 2); // farther than the 3 closest: not needed
    assert!(l.is_finished());
    assert!(ask(&mut l).is_empty());
}

#[test]
fn closest_is_at_most_k_answered_contacts_by_distance() {
    let mut l = lookup(2, 2);
    l.add_contacts([c(4), c(3), c(5)], 1);
    assert_eq!(ask(&mut l), [3, 4]);
    l.on_failure(&c(3).id);
    assert_eq!(ask(&mut l), [5]);
    answer(&mut l, 4, &[1]);
    assert_eq!(ask(&mut l), [1]);
    assert_eq!(ids(&l.closest()), [4]); // 1 and 5 in flight, 3 failed
    answer(&mut l, 5, &[]);
    answer(&mut l, 1, &[]);
    assert_eq!(ids(&l.closest()), [1, 4]);
}

#[test]
fn a_timed_out_candidate_is_skipped_and_the_next_one_asked() {
    let mut l = lookup(2, 1);
    l.add_contacts((1..=3).map(c), 1);
    assert_eq!(ask(&mut l), [1]);
    l.on_failure(&c(1).id);
    assert_eq!(ask(&mut l), [2]);
    answer(&mut l, 1, &[]); // too late: ignored
    answer(&mut l, 2, &[]);
    assert_eq!(ask(&mut l), [3]);
    answer(&mut l, 3, &[]);
    assert!(l.is_finished());
    assert_eq!(ids(&l.closest()), [2, 3]);
    assert_eq!((l.clock.stats.responses, l.clock.stats.failures), (2, 1));
}

proptest! {
    /// The candidates are always the `max_candidates` closest distinct contacts seen, in
    /// order: sorted, unique and bounded.
    #[test]
    fn candidates_stay_sorted_unique_and_bounded(
        batches in prop::collection::vec(prop::collection::vec(1u8..64, 0..12), 1..12),
    ) {
        let mut l = lookup(2, 1);
        let mut seen = BTreeSet::new();
        for batch in batches {
            seen.extend(batch.iter().copied());
            l.add_contacts(batch.into_iter().map(c), 1);
            let want: Vec<u8> = seen.iter().copied().take(l.max_candidates).collect();
            prop_assert_eq!(ids(l.candidates.iter().map(|x| &x.contact)), want);
        }
    }
}

#[test]
fn a_contact_learned_again_keeps_its_smaller_depth() {
    let mut l = lookup(2, 1);
    l.add_contacts([c(1)], 3);
    l.add_contacts([c(1)], 1);
    l.add_contacts([c(1)], 5);
    assert_eq!(ask(&mut l), [1]);
    answer(&mut l, 1, &[2]);
    assert_eq!(l.clock.stats.hops, 1);
    assert_eq!(ask(&mut l), [2]);
    answer(&mut l, 2, &[]);
    assert_eq!(l.clock.stats.hops, 2);
}

#[test]
fn the_first_value_ends_the_lookup_and_is_cached_at_the_closest_without_it() {
    let mut l = lookup(5, 4);
    l.add_contacts((1..=5).map(c), 1);
    assert_eq!(ask(&mut l), [1, 2, 3, 4]);
    answer(&mut l, 4, &[]);
    answer(&mut l, 3, &[]);
    l.on_value(&c(1).id, plain(b"v"), 60, Token::default());
    assert!(l.is_finished());
    assert!(l.next_request().is_none()); // 5 is never asked
    l.on_value(&c(2).id, plain(b"w"), 30, Token::default());
    let found = l.found().map(|f| (f.record, f.ttl_secs, f.from));
    assert_eq!(found, Some((plain(b"v"), 60, c(1).id)));
    assert_eq!(l.cache_target(), Some((c(3), Token::default())));
}

#[test]
fn unsend_gives_the_slot_back() {
    let mut l = lookup(2, 1);
    l.add_contacts([c(1), c(2)], 1);
    assert_eq!(ask(&mut l), [1]);
    l.unsend(&c(2).id); // not in flight: nothing to give back
    assert!(l.next_request().is_none());
    l.unsend(&c(1).id);
    assert_eq!(l.clock.stats.requests, 0);
    assert_eq!(ask(&mut l), [1]);
}

#[test]
fn seeds_in_flight_keep_the_lookup_unfinished() {
    let mut l = lookup(2, 2);
    l.seed_sent();
    l.seed_sent();
    assert!(!l.is_finished());
    l.seed_done(Some((c(1), Token::default())), vec![c(2)]);
    assert_eq!(ask(&mut l), [2]);
    answer(&mut l, 2, &[]);
    assert!(!l.is_finished()); // the other seed is still out
    l.seed_done(None, vec![]);
    assert!(l.is_finished());
    assert_eq!(ids(&l.closest()), [1, 2]);
}

#[test]
fn a_soft_timeout_asks_again_then_moves_on_and_a_late_answer_still_counts() {
    let mut l = lookup(2, 1).with_retries(1);
    l.add_contacts([c(1), c(2), c(3)], 1);
    assert_eq!(ask(&mut l), [1]);
    // The first soft timeout asks 1 again and gives its slot up: the lookup moves on to 2.
    assert_eq!(l.soft_timeout(&c(1).id), SoftTimeout::Retry);
    l.retry_sent(&c(1).id);
    assert_eq!(ask(&mut l), [2]);
    answer(&mut l, 2, &[]);
    // 1 is still one of the two closest that may answer: the lookup waits for it. Its last
    // request is out, so 3 is asked in its place meanwhile.
    assert!(!l.is_finished());
    assert_eq!(ask(&mut l), [3]);
    answer(&mut l, 3, &[]);
    assert!(
        !l.is_finished(),
        "waits for 1 until its retry's soft timeout"
    );
    // The first request times out for good, but the retry is still out: 1 has not failed.
    l.on_failure(&c(1).id);
    answer(&mut l, 1, &[]);
    assert_eq!(ids(&l.closest()), [1, 2]);
    assert!(l.is_finished());
}

#[test]
fn a_candidate_whose_last_retry_is_out_has_the_next_one_asked_in_its_place() {
    let mut l = lookup(2, 2).with_retries(2);
    l.add_contacts([c(1), c(2), c(3)], 1);
    assert_eq!(ask(&mut l), [1, 2]);
    answer(&mut l, 2, &[]);
    // A first retry: 1 gives its slot up, but is still one of the two closest.
    assert_eq!(l.soft_timeout(&c(1).id), SoftTimeout::Retry);
    l.retry_sent(&c(1).id);
    assert!(
        ask(&mut l).is_empty(),
        "one unanswered request: likely lost"
    );
    // The last retry: 1 is more likely gone, and 3 is asked at once.
    assert_eq!(l.soft_timeout(&c(1).id), SoftTimeout::Retry);
    l.retry_sent(&c(1).id);
    assert_eq!(ask(&mut l), [3]);
    answer(&mut l, 3, &[]);
    assert!(!l.is_finished(), "1 may still answer its last request");
    // Its soft timeout passes: the lookup ends without waiting another round trip.
    assert_eq!(l.soft_timeout(&c(1).id), SoftTimeout::MovedOn);
    assert!(l.is_finished());
    assert_eq!(ids(&l.closest()), [2, 3]);
}

#[test]
fn a_retry_answered_in_time_ends_the_lookup_with_it() {
    let mut l = lookup(2, 1).with_retries(1);
    l.add_contacts([c(1), c(2), c(3)], 1);
    assert_eq!(ask(&mut l), [1]);
    assert_eq!(l.soft_timeout(&c(1).id), SoftTimeout::Retry);
    l.retry_sent(&c(1).id);
    assert_eq!(ask(&mut l), [2]);
    answer(&mut l, 2, &[]);
    assert!(!l.is_finished(), "waits for the retried 1");
    answer(&mut l, 1, &[]);
    assert!(l.is_finished());
    assert_eq!(ids(&l.closest()), [1, 2]);
    assert_eq!(l.clock.stats.requests, 3);
}

#[test]
fn a_slow_candidate_neither_holds_up_the_end_nor_counts_once_failed() {
    let mut l = lookup(2, 2);
    l.add_contacts([c(1), c(2), c(3)], 1);
    assert_eq!(ask(&mut l), [1, 2]);
    assert_eq!(l.soft_timeout(&c(1).id), SoftTimeout::MovedOn); // no retries
    assert_eq!(ask(&mut l), [3]);
    answer(&mut l, 2, &[]);
    answer(&mut l, 3, &[]);
    assert!(
        l.is_finished(),
        "the two closest that did not go slow answered"
    );
    l.on_failure(&c(1).id);
    assert_eq!(l.clock.stats.failures, 1);
    assert_eq!(ids(&l.closest()), [2, 3]);
    assert_eq!(l.soft_timeout(&c(1).id), SoftTimeout::Nothing);
}

fn value(l: &mut Lookup<u32, Id>, n: u8, bytes: &[u8]) {
    l.on_value(&c(n).id, plain(bytes), 60, Token::default());
}

fn plain(bytes: &[u8]) -> Record {
    Record::Plain(bytes.to_vec())
}

#[test]
fn disjoint_paths_never_ask_the_same_contact() {
    let mut l = lookup(4, 1).with_paths(2);
    l.add_contacts((10..=17).map(c), 1); // dealt in turn: 10, 12, 14, 16 and 11, 13, 15, 17
    let mut asked = ask(&mut l);
    assert_eq!(asked, [10, 11], "one request in flight per path");
    answer(&mut l, 10, &[5, 6]);
    answer(&mut l, 11, &[5, 7]); // both paths learn of 5
    let next = ask(&mut l);
    // 5 goes to the path that asks first, and is then that path's alone: the other asks
    // its own next one (6 or 7).
    assert_eq!(next.len(), 2, "{next:?}");
    assert!(next.contains(&5), "{next:?}");
    assert!(next.contains(&6) != next.contains(&7), "{next:?}");
    for &n in &next {
        answer(&mut l, n, &[]);
    }
    asked.extend(next);
    while !l.is_finished() {
        let round = ask(&mut l);
        assert!(!round.is_empty(), "a path is stuck");
        for &n in &round {
            answer(&mut l, n, &[]);
        }
        asked.extend(round);
    }
    let unique: BTreeSet<u8> = asked.iter().copied().collect();
    assert_eq!(unique.len(), asked.len(), "{asked:?}");
    // The result is the k closest that answered on any path.
    assert_eq!(ids(&l.closest()), [5, 6, 7, 10]);
}

#[test]
fn over_several_paths_a_value_counts_once_two_paths_found_it() {
    // A liar on one path, the right value on the other: no value.
    let mut l = lookup(4, 1).with_paths(2);
    l.add_contacts([c(1), c(2)], 1);
    assert_eq!(ask(&mut l), [1, 2]);
    value(&mut l, 1, b"forged");
    assert!(!l.is_finished(), "one path is not enough");
    value(&mut l, 2, b"right");
    assert!(l.is_finished());
    assert!(l.found().is_none());

    // The same value on both paths: found.
    let mut l = lookup(4, 1).with_paths(2);
    l.add_contacts([c(1), c(2)], 1);
    ask(&mut l);
    value(&mut l, 1, b"right");
    value(&mut l, 2, b"right");
    assert_eq!(l.found().map(|f| f.record), Some(plain(b"right")));

    // One path alone decides as before.
    let mut l = lookup(4, 1);
    l.add_contacts([c(1)], 1);
    ask(&mut l);
    value(&mut l, 1, b"first");
    assert!(l.found().is_some());
}

#[test]
fn a_path_ends_on_its_own_contacts_not_on_those_another_path_asked() {
    let mut l = lookup(2, 2).with_paths(2);
    l.add_contacts((1..=4).map(c), 1); // 1 and 3 on the first path, 2 and 4 on the second
    let mut asked = ask(&mut l);
    asked.sort();
    assert_eq!(asked, [1, 2, 3, 4]);
    answer(&mut l, 1, &[]);
    answer(&mut l, 3, &[]);
    answer(&mut l, 2, &[1]); // the second path learns of 1, which the first asked
    assert!(!l.is_finished(), "the second path still waits for 4");
    answer(&mut l, 4, &[]);
    assert!(l.is_finished());
    assert_eq!(ids(&l.closest()), [1, 2]);
}

#[test]
fn contacts_one_path_was_told_of_cannot_crowd_out_another() {
    // Four candidates at most over two paths: two each.
    let mut l = Lookup::new(Key::new([0; 20]), 2, 1, 2, Instant::now()).with_paths(2);
    l.add_contacts([c(20), c(21), c(22), c(23)], 1); // 20, 22 first path; 21, 23 second
    assert_eq!(ask(&mut l).len(), 2);
    // The first path is told of many contacts closer than anything the second knows.
    answer(&mut l, 20, &[1, 2, 3, 4, 5, 6]);
    let known: Vec<u8> = l
        .candidates
        .iter()
        .map(|c| c.contact.id.as_bytes()[19])
        .collect();
    assert!(
        known.contains(&23),
        "the second path keeps its own: {known:?}"
    );
    assert!(known.len() <= 5, "{known:?}");
}

#[test]
fn a_confirmed_value_keeps_the_shortest_lifetime_it_was_told() {
    let mut l = lookup(4, 1).with_paths(3);
    l.add_contacts([c(1), c(2), c(3)], 1);
    ask(&mut l);
    l.on_value(&c(1).id, plain(b"v"), 9000, Token::default());
    l.on_value(&c(2).id, plain(b"v"), 60, Token::default());
    let found = l.found().expect("two of three paths agree");
    assert_eq!(found.ttl_secs, 60);
}

#[test]
fn liars_who_answer_first_do_not_outvote_more_honest_paths() {
    let mut l = lookup(4, 1).with_paths(5);
    l.add_contacts((1..=5).map(c), 1); // one contact on each path
    assert_eq!(ask(&mut l).len(), 5);
    value(&mut l, 4, b"forged");
    value(&mut l, 5, b"forged");
    assert!(!l.is_finished(), "three paths could still outvote two");
    value(&mut l, 1, b"right");
    value(&mut l, 2, b"right");
    assert!(!l.is_finished(), "the last path could still tie");
    value(&mut l, 3, b"right");
    assert!(l.is_finished());
    assert_eq!(l.found().map(|f| f.record), Some(plain(b"right")));
}

#[test]
fn a_value_settles_as_soon_as_no_other_can_catch_up() {
    let mut l = lookup(4, 1).with_paths(5);
    l.add_contacts((1..=5).map(c), 1);
    ask(&mut l);
    for n in 1..=3 {
        value(&mut l, n, b"right");
    }
    assert!(l.is_finished(), "three of five cannot be caught up with");
    assert_eq!(l.found().map(|f| f.record), Some(plain(b"right")));
}

#[test]
fn a_tie_goes_to_the_value_told_by_the_node_closest_to_the_key() {
    let mut l = lookup(4, 1).with_paths(4);
    l.add_contacts([c(1), c(2), c(30), c(31)], 1); // one contact on each path
    assert_eq!(ask(&mut l).len(), 4);
    value(&mut l, 30, b"forged");
    value(&mut l, 31, b"forged");
    value(&mut l, 1, b"right");
    assert!(!l.is_finished());
    value(&mut l, 2, b"right");
    assert!(l.is_finished());
    assert_eq!(l.found().map(|f| f.record), Some(plain(b"right")));
}
