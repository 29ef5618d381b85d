//! A stand-in, named as such: a loopback translator in front of the AWS emulator for
//! CloudWatch only. The Rust SDK speaks CloudWatch's Smithy RPC v2 CBOR protocol
//! (`POST /service/GraniteServiceVersion20100801/operation/<Op>`, CBOR bodies); moto speaks
//! its JSON 1.0 protocol (`POST /` with `X-Amz-Target`) but not CBOR
//! (getmoto/moto#9195). The proxy re-encodes each request body CBOR → JSON, forwards it, and
//! re-encodes the reply JSON → CBOR; the metrics themselves live in the real emulator.
//! Fields named `…Timestamp(s)` / `StartTime` / `EndTime` are CBOR epoch timestamps (tag 1).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

use serde_json::{Map, Number, Value};

pub struct CborProxy {
    pub url: String,
}

impl CborProxy {
    /// Starts the proxy in front of `moto` (its base URL).
    pub fn start(moto: &str) -> CborProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let moto = moto.trim_end_matches('/').to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let moto = moto.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &moto);
                });
            }
        });
        CborProxy { url }
    }
}

fn serve(stream: TcpStream, moto: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end().to_string();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        let operation = path.rsplit('/').next().unwrap_or("").to_string();
        let json = if body.is_empty() {
            Value::Object(Map::new())
        } else {
            decode(&mut &body[..])
        };
        let mut request = agent
            .post(format!("{moto}/"))
            .header(
                "X-Amz-Target",
                format!("GraniteServiceVersion20100801.{operation}"),
            )
            .header("Content-Type", "application/x-amz-json-1.0");
        for (k, v) in &headers {
            if k.eq_ignore_ascii_case("authorization")
                || k.to_ascii_lowercase().starts_with("x-amz-date")
            {
                request = request.header(k.as_str(), v.as_str());
            }
        }
        let mut response = request
            .send(serde_json::to_vec(&json).unwrap().as_slice())
            .unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let mut reply: Value = serde_json::from_str(&text).unwrap_or(Value::Object(Map::new()));
        if status >= 400
            && let Some(t) = reply.get("__type").and_then(Value::as_str)
        {
            let short = t.rsplit('#').next().unwrap_or(t).to_string();
            reply["__type"] = Value::String(short);
        }
        let mut cbor = Vec::new();
        encode(&reply, None, &mut cbor);
        write!(
            out,
            "HTTP/1.1 {status} X\r\nContent-Type: application/cbor\r\nsmithy-protocol: rpc-v2-cbor\r\nContent-Length: {}\r\n\r\n",
            cbor.len()
        )?;
        out.write_all(&cbor)?;
        out.flush()?;
    }
}

fn head(input: &mut &[u8]) -> (u8, u8) {
    let b = input[0];
    *input = &input[1..];
    (b >> 5, b & 0x1f)
}

fn arg(input: &mut &[u8], info: u8) -> Option<u64> {
    let take = |input: &mut &[u8], n: usize| {
        let mut v = 0u64;
        for b in &input[..n] {
            v = (v << 8) | u64::from(*b);
        }
        *input = &input[n..];
        v
    };
    match info {
        0..=23 => Some(u64::from(info)),
        24 => Some(take(input, 1)),
        25 => Some(take(input, 2)),
        26 => Some(take(input, 4)),
        27 => Some(take(input, 8)),
        _ => None, // 31: indefinite length
    }
}

fn decode(input: &mut &[u8]) -> Value {
    let (major, info) = head(input);
    match major {
        0 => Value::from(arg(input, info).unwrap()),
        1 => Value::from(-1 - arg(input, info).unwrap() as i64),
        2 | 3 => {
            let bytes = match arg(input, info) {
                Some(n) => {
                    let (s, rest) = input.split_at(n as usize);
                    *input = rest;
                    s.to_vec()
                }
                None => {
                    let mut all = Vec::new();
                    while input[0] != 0xff {
                        if let Value::String(s) = decode(input) {
                            all.extend(s.into_bytes());
                        }
                    }
                    *input = &input[1..];
                    all
                }
            };
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        }
        4 => {
            let mut items = Vec::new();
            match arg(input, info) {
                Some(n) => (0..n).for_each(|_| items.push(decode(input))),
                None => {
                    while input[0] != 0xff {
                        items.push(decode(input));
                    }
                    *input = &input[1..];
                }
            }
            Value::Array(items)
        }
        5 => {
            let mut map = Map::new();
            let mut entry = |input: &mut &[u8]| {
                let k = decode(input);
                let v = decode(input);
                map.insert(k.as_str().unwrap_or_default().to_string(), v);
            };
            match arg(input, info) {
                Some(n) => (0..n).for_each(|_| entry(input)),
                None => {
                    while input[0] != 0xff {
                        entry(input);
                    }
                    *input = &input[1..];
                }
            }
            Value::Object(map)
        }
        6 => {
            // Tag 1 (epoch timestamp) and any other tag: the tagged value itself.
            arg(input, info);
            decode(input)
        }
        _ => match info {
            20 => Value::Bool(false),
            21 => Value::Bool(true),
            22 | 23 => Value::Null,
            25 => {
                let h = arg(input, 25).unwrap() as u16;
                Value::from(half(h))
            }
            26 => Value::from(f64::from(f32::from_bits(arg(input, 26).unwrap() as u32))),
            27 => Number::from_f64(f64::from_bits(arg(input, 27).unwrap()))
                .map(Value::Number)
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
    }
}

fn half(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 => f64::INFINITY,
        e => (1.0 + mant / 1024.0) * 2f64.powi(i32::from(e) - 15),
    };
    if h & 0x8000 != 0 { -v } else { v }
}

fn put_head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
        _ => {
            out.push(m | 27);
            out.extend(n.to_be_bytes());
        }
    }
}

fn is_timestamp(key: Option<&str>) -> bool {
    // DescribeAlarms' StateUpdatedTimestamp, AlarmConfigurationUpdatedTimestamp, … too
    key.is_some_and(|k| {
        k.ends_with("Timestamp") || matches!(k, "Timestamps" | "StartTime" | "EndTime")
    })
}

fn encode(v: &Value, key: Option<&str>, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => {
            if is_timestamp(key) {
                out.push(0xc1); // tag 1
                out.push(0xfb);
                out.extend(n.as_f64().unwrap_or(0.0).to_be_bytes());
            } else if let Some(u) = n.as_u64() {
                put_head(0, u, out);
            } else if let Some(i) = n.as_i64() {
                put_head(1, (-1 - i) as u64, out);
            } else {
                out.push(0xfb);
                out.extend(n.as_f64().unwrap_or(0.0).to_be_bytes());
            }
        }
        Value::String(s) => {
            put_head(3, s.len() as u64, out);
            out.extend(s.as_bytes());
        }
        Value::Array(items) => {
            put_head(4, items.len() as u64, out);
            for i in items {
                encode(i, key, out);
            }
        }
        Value::Object(map) => {
            put_head(5, map.len() as u64, out);
            for (k, v) in map {
                put_head(3, k.len() as u64, out);
                out.extend(k.as_bytes());
                encode(v, Some(k), out);
            }
        }
    }
}
