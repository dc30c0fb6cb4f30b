//! The process's memory use, as the kernel reports it (Linux only; zero elsewhere).

/// Reads a `Vm...: N kB` line of `/proc/self/status`, in bytes.
fn status_field(name: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// Resident set size now, in bytes.
pub(crate) fn current_rss() -> u64 {
    status_field("VmRSS")
}

/// Peak resident set size of the process so far, in bytes.
pub(crate) fn peak_rss() -> u64 {
    status_field("VmHWM")
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_something_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(super::current_rss() > 0);
            assert!(super::peak_rss() >= super::current_rss() / 2);
        }
    }
}
