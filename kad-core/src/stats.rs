//! Counters a node keeps about its own traffic, for monitoring.

use crate::message::Request;

/// A snapshot of a node's counters; see [`Node::stats`](crate::Node::stats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Contacts in the routing table.
    pub contacts: usize,
    /// Records held.
    pub records: usize,
    /// Requests in flight.
    pub pending_requests: usize,
    /// Commands running (including internal refreshes and republications).
    pub queries: usize,
    /// Requests sent.
    pub requests_sent: u64,
    /// Requests sent, by kind.
    pub requests_sent_by_kind: RequestCounts,
    /// Requests received and answered.
    pub requests_received: u64,
    /// Requests received and answered, by kind.
    pub requests_received_by_kind: RequestCounts,
    /// Responses accepted (matching transaction id, address, kind and sender).
    pub responses_received: u64,
    /// Responses ignored: unknown or expired transaction id, wrong address, kind or sender.
    pub responses_ignored: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Lookup requests sent again because the first went unanswered for the round trip
    /// expected of the contact.
    pub lookup_retries: u64,
    /// STORE requests refused (value too large, store full).
    pub stores_refused: u64,
    /// Requests not sent because `max_pending_requests` were in flight.
    pub requests_deferred: u64,
    /// Routing-table events dropped because the caller did not drain them.
    pub events_dropped: u64,
    /// Bootstrap attempts made again because the one before reached nobody.
    pub bootstrap_retries: u64,
    /// Bootstraps started because the routing table had become empty.
    pub rebootstraps: u64,
    /// Self-lookups run again after a bootstrap that left fewer than k contacts.
    pub bootstrap_follow_ups: u64,
    /// STOREs refused for want of a valid write token (also counted in `stores_refused`).
    pub stores_without_token: u64,
    /// STOREs refused because they would have shortened or replaced a longer-lived copy
    /// (also counted in `stores_refused`).
    pub stores_shortening: u64,
    /// STOREs refused because the sender's subnet had its `max_records_per_subnet` stored
    /// here (also counted in `stores_refused`).
    pub stores_over_quota: u64,
    /// STOREs refused because the validator does not take the record under its key (a
    /// forged signature, an immutable value under another hash, a kind not accepted; also
    /// counted in `stores_refused`).
    pub stores_invalid: u64,
    /// STOREs of a signed record from senders not in the routing table refused unchecked
    /// because `signature_check_rate` was spent (also counted in `stores_refused`).
    pub stores_check_limited: u64,
    /// STOREs of a mutable record refused because a version as new or newer (or newer
    /// than the writer expected) is held here (also counted in `stores_refused`).
    pub stores_superseded: u64,
    /// Values that answered this node's gets and were skipped: of another kind than asked,
    /// or not valid under their key. Never returned nor cached.
    pub values_invalid: u64,
    /// STOREs a mutable get sent to close nodes that held an older version (read repair).
    pub read_repairs: u64,
    /// Verification pings sent to unknown senders of requests (and to replacements before
    /// their promotion).
    pub verifications_sent: u64,
    /// Unknown senders of requests not verified because `verify_rate` was spent.
    pub verifications_skipped: u64,
    /// Contacts kept out of the routing table by the subnet limits or because another id
    /// holds their IP and port.
    pub contacts_refused_subnet: u64,
    /// Contacts learned from others and dropped by the address filter (unroutable, or local
    /// while `contact_local_addresses` is off).
    pub addresses_filtered: u64,
    /// Datagrams neither answered nor sent because the address is unroutable.
    pub unroutable_dropped: u64,
    /// Requests from loopback, private or link-local addresses not answered because
    /// `contact_local_addresses` is off (a node on the internet is not made to send into
    /// its own network by a forged source address).
    pub local_requests_dropped: u64,
    /// Datagrams turned away by [`Node::admit`](crate::Node::admit) for going over their
    /// source's rate.
    pub rate_limited: u64,
    /// Of `rate_limited`, datagrams from sources that found every rate-limit slot in use
    /// and went over the one allowance they all share.
    pub rate_limited_shared: u64,
    /// `Nodes` answers cut to `response_factor` times their request (an unpadded request,
    /// or one from a node with a different address type).
    pub responses_trimmed: u64,
    /// Answers to nodes not in the routing table sent without contacts (in place of
    /// contacts or a value) because `unverified_upload_rate` was spent.
    pub upload_budget_exhausted: u64,
    /// Pings sent to stale contacts (silent for `stale_after`, or whose last request
    /// failed) met among the closest to the target of a request this node answered.
    pub stale_contacts_checked: u64,
    /// Contacts in doubt (last request failed, or a ping unanswered past its expected
    /// round trip) left out of answers because at least as many others were among the
    /// closest.
    pub contacts_withheld: u64,
    /// Sources whose rate is being tracked.
    pub rate_limited_sources: usize,
}

/// Requests counted by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestCounts {
    /// PING requests.
    pub ping: u64,
    /// FIND_NODE requests.
    pub find_node: u64,
    /// FIND_VALUE requests.
    pub find_value: u64,
    /// STORE requests.
    pub store: u64,
}

impl RequestCounts {
    /// Counts one `request`.
    pub(crate) fn count<K>(&mut self, request: &Request<K>) {
        let counter = match request {
            Request::Ping => &mut self.ping,
            Request::FindNode { .. } => &mut self.find_node,
            Request::FindValue { .. } => &mut self.find_value,
            Request::Store { .. } => &mut self.store,
        };
        *counter += 1;
    }

    /// All kinds together.
    pub fn total(&self) -> u64 {
        self.ping + self.find_node + self.find_value + self.store
    }
}
