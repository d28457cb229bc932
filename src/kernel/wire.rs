//! Jupyter messages on the wire: the connection file, the frames of one message
//! (`identities… <IDS|MSG> signature header parent_header metadata content buffers…`), their
//! HMAC-SHA256 signature, and the header every message carries (ids, ISO-8601 dates).

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value as Json};
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};

/// The protocol version this kernel speaks (5.5: iopub is XPUB and says `iopub_welcome`).
pub const PROTOCOL_VERSION: &str = "5.5";
const DELIMITER: &[u8] = b"<IDS|MSG>";

/// What `jupyter_client` writes into the connection file the kernel is started with.
#[derive(Clone, Debug)]
pub struct ConnectionInfo {
    pub transport: String,
    pub ip: String,
    pub shell_port: u16,
    pub iopub_port: u16,
    pub stdin_port: u16,
    pub control_port: u16,
    pub hb_port: u16,
    pub key: String,
}

impl ConnectionInfo {
    pub fn parse(text: &str) -> Result<ConnectionInfo, String> {
        let j: Json = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let port = |name: &str| -> Result<u16, String> {
            j.get(name)
                .and_then(Json::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(|| format!("no valid \"{name}\""))
        };
        let text = |name: &str, default: &str| {
            j.get(name)
                .and_then(Json::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let scheme = text("signature_scheme", "hmac-sha256");
        if scheme != "hmac-sha256" {
            return Err(format!(
                "signature scheme {scheme:?} is not supported (only hmac-sha256)"
            ));
        }
        let transport = text("transport", "tcp");
        if transport != "tcp" {
            return Err(format!(
                "transport {transport:?} is not supported (only tcp)"
            ));
        }
        Ok(ConnectionInfo {
            transport,
            ip: text("ip", "127.0.0.1"),
            shell_port: port("shell_port")?,
            iopub_port: port("iopub_port")?,
            stdin_port: port("stdin_port")?,
            control_port: port("control_port")?,
            hb_port: port("hb_port")?,
            key: text("key", ""),
        })
    }

    pub fn endpoint(&self, port: u16) -> String {
        format!("{}://{}:{port}", self.transport, self.ip)
    }
}

/// Signs and checks messages with the connection's key (an empty key: no signatures).
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn new(key: &str) -> Signer {
        Signer {
            key: key.as_bytes().to_vec(),
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
        if self.key.is_empty() {
            return None;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).ok()?;
        for p in parts {
            mac.update(p);
        }
        Some(mac)
    }

    /// The hex signature of header, parent header, metadata and content.
    pub fn sign(&self, parts: &[&[u8]]) -> String {
        match self.mac(parts) {
            Some(mac) => hex(&mac.finalize().into_bytes()),
            None => String::new(),
        }
    }

    /// Whether `signature` is right for the parts (in constant time).
    pub fn verify(&self, signature: &[u8], parts: &[&[u8]]) -> bool {
        let Some(mac) = self.mac(parts) else {
            return true;
        };
        match unhex(signature) {
            Some(bytes) => mac.verify_slice(&bytes).is_ok(),
            None => false,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// One message, decoded.
#[derive(Clone, Debug)]
pub struct Message {
    /// The routing identities before the delimiter (where a reply goes).
    pub idents: Vec<Vec<u8>>,
    pub header: Json,
    pub parent: Json,
    pub metadata: Json,
    pub content: Json,
    pub buffers: Vec<Vec<u8>>,
}

impl Message {
    pub fn msg_type(&self) -> &str {
        self.header
            .get("msg_type")
            .and_then(Json::as_str)
            .unwrap_or("")
    }

    /// A string field of the content.
    pub fn text(&self, name: &str) -> &str {
        self.content.get(name).and_then(Json::as_str).unwrap_or("")
    }

    /// A boolean field of the content, or `default`.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        self.content
            .get(name)
            .and_then(Json::as_bool)
            .unwrap_or(default)
    }
}

/// Why frames were not a message.
#[derive(Debug, PartialEq, Eq)]
pub enum WireError {
    NoDelimiter,
    TooShort,
    BadSignature,
    BadJson(String),
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WireError::NoDelimiter => write!(f, "no <IDS|MSG> delimiter"),
            WireError::TooShort => write!(f, "fewer than 5 frames after the delimiter"),
            WireError::BadSignature => write!(f, "bad signature"),
            WireError::BadJson(e) => write!(f, "bad JSON: {e}"),
        }
    }
}

/// Frames to a message, checking the signature.
pub fn decode(frames: Vec<Vec<u8>>, signer: &Signer) -> Result<Message, WireError> {
    let at = frames
        .iter()
        .position(|f| f == DELIMITER)
        .ok_or(WireError::NoDelimiter)?;
    if frames.len() < at + 6 {
        return Err(WireError::TooShort);
    }
    let mut frames = frames;
    let rest = frames.split_off(at);
    let idents = frames;
    let parts: Vec<&[u8]> = rest[2..6].iter().map(Vec::as_slice).collect();
    if !signer.verify(&rest[1], &parts) {
        return Err(WireError::BadSignature);
    }
    let json = |b: &[u8]| -> Result<Json, WireError> {
        serde_json::from_slice(b).map_err(|e| WireError::BadJson(e.to_string()))
    };
    Ok(Message {
        idents,
        header: json(&rest[2])?,
        parent: json(&rest[3])?,
        metadata: json(&rest[4])?,
        content: json(&rest[5])?,
        buffers: rest[6..].to_vec(),
    })
}

/// A message to frames, signed.
pub fn encode(m: &Message, signer: &Signer) -> Vec<Vec<u8>> {
    let header = m.header.to_string().into_bytes();
    let parent = m.parent.to_string().into_bytes();
    let metadata = m.metadata.to_string().into_bytes();
    let content = m.content.to_string().into_bytes();
    let signature = signer.sign(&[&header, &parent, &metadata, &content]);
    let mut frames = m.idents.clone();
    frames.push(DELIMITER.to_vec());
    frames.push(signature.into_bytes());
    frames.extend([header, parent, metadata, content]);
    frames.extend(m.buffers.iter().cloned());
    frames
}

/// A fresh header for a message of this type in this session.
pub fn header(msg_type: &str, session: &str) -> Json {
    json!({
        "msg_id": new_id(),
        "session": session,
        "username": "polyglot",
        "date": iso_now(),
        "msg_type": msg_type,
        "version": PROTOCOL_VERSION,
    })
}

/// A random 128-bit id in UUID form (ids only need to be unique, not secret).
pub fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let half = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u64(salt);
        h.write_u128(now_nanos());
        h.finish()
    };
    let (a, b) = (half(1), half(2));
    let a = (a & !0xf000) | 0x4000; // version 4
    let b = (b & !(0b11 << 62)) | (0b10 << 62); // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn now_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The current UTC time as ISO 8601 with microseconds (`2026-12-02T01:02:03.123456Z`), as
/// front-ends read header dates for cell timing.
pub fn iso_now() -> String {
    iso_time(SystemTime::now())
}

pub fn iso_time(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, day) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar (Howard
/// Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Message {
        Message {
            idents: vec![b"peer".to_vec()],
            header: header("execute_request", "s1"),
            parent: json!({}),
            metadata: json!({}),
            content: json!({"code": "(+ 1 2)"}),
            buffers: vec![],
        }
    }

    #[test]
    fn messages_round_trip_with_their_signature() {
        let signer = Signer::new("secret");
        let frames = encode(&sample(), &signer);
        let back = decode(frames, &signer).unwrap();
        assert_eq!(back.idents, vec![b"peer".to_vec()]);
        assert_eq!(back.msg_type(), "execute_request");
        assert_eq!(back.text("code"), "(+ 1 2)");
    }

    #[test]
    fn a_bad_signature_is_refused() {
        let frames = encode(&sample(), &Signer::new("secret"));
        assert_eq!(
            decode(frames.clone(), &Signer::new("other")).unwrap_err(),
            WireError::BadSignature
        );
        let mut tampered = frames;
        let last = tampered.len() - 1;
        tampered[last] = br#"{"code": "(rm)"}"#.to_vec();
        assert_eq!(
            decode(tampered, &Signer::new("secret")).unwrap_err(),
            WireError::BadSignature
        );
    }

    #[test]
    fn the_signature_is_hmac_sha256_in_hex() {
        // RFC 4231 test case 2.
        let s = Signer::new("Jefe");
        assert_eq!(
            s.sign(&[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn dates_are_iso_8601_utc() {
        let t = UNIX_EPOCH + std::time::Duration::from_micros(1_795_000_000_123_456);
        assert_eq!(iso_time(t), "2026-11-18T11:06:40.123456Z");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn ids_are_unique_uuids() {
        let a = new_id();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert_ne!(a, new_id());
    }

    #[test]
    fn connection_files_are_read() {
        let c = ConnectionInfo::parse(
            r#"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4,
                "hb_port": 5, "ip": "127.0.0.1", "key": "k", "transport": "tcp",
                "signature_scheme": "hmac-sha256", "kernel_name": "polyglot"}"#,
        )
        .unwrap();
        assert_eq!(c.endpoint(c.hb_port), "tcp://127.0.0.1:5");
        assert!(ConnectionInfo::parse(r#"{"shell_port": 1}"#).is_err());
    }
}
