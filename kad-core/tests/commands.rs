//! Commands refuse what is over a bound with a clear error and change nothing.

use std::time::{Duration, Instant};

use kad_core::{CommandError, Config, Event, Key, Node, QueryResult};

type Id = Key<20>;

fn node(config: Config) -> Node<u32, Id> {
    Node::new(Id::new([1; 20]), config, 3, Instant::now()).unwrap()
}

#[test]
fn a_value_over_the_limit_is_refused_not_cut() {
    let config = Config::builder().max_value_size(8).build().unwrap();
    let mut n = node(config);
    let now = Instant::now();
    let err = n.put(now, Id::new([2; 20]), vec![0; 9]).unwrap_err();
    assert_eq!(err, CommandError::ValueTooLarge { len: 9, max: 8 });
    assert_eq!(
        err.to_string(),
        "value of 9 bytes is over the limit of 8 bytes"
    );
    assert_eq!(n.get_local(now, &Id::new([2; 20])), None);
    assert!(n.put(now, Id::new([2; 20]), vec![0; 8]).is_ok());
}

#[test]
fn a_full_store_refuses_new_keys_but_updates_old_ones() {
    let config = Config::builder().max_records(2).build().unwrap();
    let mut n = node(config);
    let now = Instant::now();
    n.put(now, Id::new([2; 20]), b"a".to_vec()).unwrap();
    n.put(now, Id::new([3; 20]), b"b".to_vec()).unwrap();
    let err = n.put(now, Id::new([4; 20]), b"c".to_vec()).unwrap_err();
    assert_eq!(err, CommandError::StoreFull { max: 2 });
    n.put(now, Id::new([3; 20]), b"b2".to_vec()).unwrap();
    assert_eq!(n.get_local(now, &Id::new([3; 20])), Some(&b"b2"[..]));
    assert_eq!(n.get_local(now, &Id::new([2; 20])), Some(&b"a"[..]));
}

#[test]
fn queries_are_bounded() {
    let config = Config::builder().max_queries(2).build().unwrap();
    let mut n = node(config);
    let now = Instant::now();
    // Pings to silent addresses stay open until they time out.
    n.ping(now, 7).unwrap();
    n.ping(now, 8).unwrap();
    assert_eq!(
        n.ping(now, 9).unwrap_err(),
        CommandError::TooManyQueries { max: 2 }
    );
    n.handle_timeout(now + Duration::from_secs(4));
    let mut dead = 0;
    while let Some(event) = n.poll_event() {
        if let Event::QueryFinished {
            result: QueryResult::Ping { alive: false },
            ..
        } = event
        {
            dead += 1;
        }
    }
    assert_eq!(dead, 2);
    assert!(n.ping(now, 9).is_ok());
}

#[test]
fn lookups_on_an_empty_table_finish_at_once() {
    let mut n = node(Config::default());
    let now = Instant::now();
    let q = n.find_node(now, Id::new([9; 20])).unwrap();
    match n.poll_event() {
        Some(Event::QueryFinished { id, result, .. }) => {
            assert_eq!(id, q);
            assert_eq!(result, QueryResult::FindNode { closest: vec![] });
        }
        other => panic!("unexpected {other:?}"),
    }
    let q = n.get(now, Id::new([9; 20])).unwrap();
    assert!(matches!(
        n.poll_event(),
        Some(Event::QueryFinished { id, result: QueryResult::Get { record: None, .. }, .. }) if id == q
    ));
}

#[test]
fn invalid_configs_are_refused() {
    assert!(Config::builder().k(0).build().is_err());
    assert!(Config::builder().alpha(0).build().is_err());
    let mut c = Config::default();
    c.reput_interval = c.storage_timeout;
    assert!(Node::<u32, Id>::new(Id::new([0; 20]), c, 1, Instant::now()).is_err());
}

#[test]
fn config_errors_say_which_rule_was_broken() {
    use kad_core::ConfigError;
    assert_eq!(
        Config::builder().k(0).build(),
        Err(ConfigError::Zero { setting: "k" })
    );
    assert_eq!(
        Config::builder().request_timeout(Duration::ZERO).build(),
        Err(ConfigError::ZeroDuration {
            setting: "request_timeout"
        })
    );
    let mut c = Config::default();
    c.reput_interval = c.storage_timeout;
    assert_eq!(c.validate(), Err(ConfigError::ReputNotBeforeExpiry));
    c = Config::default();
    c.max_pending_requests = 2;
    assert_eq!(c.validate(), Err(ConfigError::PendingBelowAlpha));
}

#[test]
fn a_builder_from_a_config_derives_like_the_default_builder() {
    use kad_core::ConfigBuilder;
    let ten_minutes = Duration::from_secs(600);
    let from_config = ConfigBuilder::from(Config::default())
        .storage_timeout(ten_minutes)
        .build()
        .unwrap();
    let from_defaults = Config::builder()
        .storage_timeout(ten_minutes)
        .build()
        .unwrap();
    assert_eq!(from_config, from_defaults);
    assert_eq!(from_config.reput_interval, ten_minutes / 2);
    assert_eq!(from_config.republish_interval, ten_minutes / 4);

    // A setting given explicitly in the config is kept.
    let custom = Config {
        reput_interval: Duration::from_secs(60),
        ..Config::default()
    };
    let kept = ConfigBuilder::from(custom)
        .storage_timeout(ten_minutes)
        .build()
        .unwrap();
    assert_eq!(kept.reput_interval, Duration::from_secs(60));
    assert_eq!(kept.republish_interval, ten_minutes / 4);
}
