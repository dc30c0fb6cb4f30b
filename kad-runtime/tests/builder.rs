//! The two ways to configure a service, setting by setting or from a whole kad-core
//! [`Config`], derive the dependent settings the same way.

use std::time::Duration;

use kad_runtime::{Config, DHTService};

#[test]
fn a_given_config_derives_like_the_defaults() {
    let storage = Duration::from_secs(600);
    let service = DHTService::builder()
        .config(Config::default())
        .storage_timeout(storage)
        .build()
        .expect("the re-put interval follows the storage timeout");
    let plain = DHTService::builder()
        .storage_timeout(storage)
        .build()
        .expect("valid");
    let config = service.config().expect("valid");
    assert_eq!(config.reput_interval, storage / 2);
    assert_eq!(config.republish_interval, storage / 4);
    assert_eq!(config, plain.config().expect("valid"));
}

#[test]
fn a_given_config_keeps_what_it_set_and_the_runtime_caps() {
    let given = Config {
        reput_interval: Duration::from_secs(100),
        max_value_size: usize::MAX,
        ..Config::default()
    };
    let service = DHTService::builder()
        .config(given)
        .storage_timeout(Duration::from_secs(600))
        .k(8)
        .build()
        .expect("valid");
    let config = service.config().expect("valid");
    assert_eq!(config.reput_interval, Duration::from_secs(100));
    assert_eq!(config.max_value_size, kad_runtime::MAX_VALUE_SIZE);
    assert!(config.max_response_contacts <= 8);
    assert_eq!(config.max_lookup_candidates, 32);
}
