//! Inputs `registry-ids` and `registry-endpoint`: which registries, and where the registry API
//! is reached.

use gantry_toolkit::input::Inputs;

use super::{ConfigError, invalid, invalid_because};

/// Where the registry's HTTP API is reached instead of `<account>.dkr.ecr.<region>.amazonaws.com`:
/// a local registry in tests, or a mirror. Plain `http` only on loopback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEndpoint {
    /// `host[:port]`, as used in image references.
    pub host: String,
    pub insecure: bool,
}

/// Input `registry-ids`: account ids, the first pushed to, without repeats.
pub(super) fn registry_ids(inputs: &Inputs) -> Result<Vec<String>, ConfigError> {
    let mut registry_ids = Vec::new();
    for id in inputs.get_list("registry-ids") {
        if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(
                "registry-ids",
                &id,
                "AWS account ids of 12 digits, comma-separated (the first is pushed to)",
            ));
        }
        if !registry_ids.contains(&id) {
            registry_ids.push(id);
        }
    }
    Ok(registry_ids)
}

/// Input `registry-endpoint`.
pub(super) fn registry_endpoint(inputs: &Inputs) -> Result<Option<RegistryEndpoint>, ConfigError> {
    let registry_endpoint = match inputs.get("registry-endpoint") {
        None => None,
        Some(raw) => Some(parse_endpoint(&raw)?),
    };
    Ok(registry_endpoint)
}

fn parse_endpoint(raw: &str) -> Result<RegistryEndpoint, ConfigError> {
    let expected = "a URL such as https://mirror.example.com or http://127.0.0.1:5000 (plain http only on loopback), without a path";
    let (insecure, rest) = if let Some(rest) = raw.strip_prefix("https://") {
        (false, rest)
    } else if let Some(rest) = raw.strip_prefix("http://") {
        (true, rest)
    } else {
        return Err(invalid("registry-endpoint", raw, expected));
    };
    let host = rest.trim_end_matches('/');
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !valid_host {
        return Err(invalid("registry-endpoint", raw, expected));
    }
    if insecure && !is_loopback(host) {
        return Err(invalid_because(
            "registry-endpoint",
            raw,
            expected,
            "plain http would send the registry password in clear over the network".into(),
        ));
    }
    Ok(RegistryEndpoint {
        host: host.to_string(),
        insecure,
    })
}

fn is_loopback(host: &str) -> bool {
    let name = if let Some(v6) = host.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_endpoints() {
        for (raw, host, insecure) in [
            ("http://127.0.0.1:5000", "127.0.0.1:5000", true),
            ("http://localhost:5000/", "localhost:5000", true),
            ("http://[::1]:5000", "[::1]:5000", true),
            ("https://mirror.example.com", "mirror.example.com", false),
        ] {
            let e = parse_endpoint(raw).unwrap();
            assert_eq!((e.host.as_str(), e.insecure), (host, insecure), "{raw}");
        }
        for raw in [
            "http://10.0.0.1:5000",
            "http://mirror.example.com",
            "ftp://x",
            "https://x/path",
            "mirror.example.com",
        ] {
            assert!(parse_endpoint(raw).is_err(), "{raw}");
        }
    }
}
