//! The worker protocol's codec (docs/protocol.md §2–§3), sans-IO: [`Val`]s to frame bytes, and
//! a [`Decoder`] that takes bytes as they arrive and gives back whole messages. No pipes, no
//! processes: the same code is checked against the test vectors the Python runtime checks.

/// A protocol value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    None,
    Bool(bool),
    Int(i64),
    /// An integer outside i64: hexadecimal digits, `-` first if negative.
    Big(String),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Val>),
    Tuple(Vec<Val>),
    Dict(Vec<(Val, Val)>),
    Handle(u32),
    Callback(u32),
    Step(u32),
    /// The kept value of an earlier pipelined request (`p`, its request id).
    Pending(u64),
    Array {
        dtype: String,
        shape: Vec<usize>,
        data: Vec<u8>,
    },
    /// A typed array in the host's shared memory (`S`): the worker maps the host's file
    /// descriptor `fd` (`/proc/<host pid>/fd/<fd>`); `id` names the host's buffer.
    Shared {
        dtype: String,
        shape: Vec<usize>,
        id: u64,
        fd: u32,
        bytes: u64,
        readonly: bool,
    },
}

impl Val {
    pub fn str(s: &str) -> Val {
        Val::Str(s.to_string())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Val] {
        match self {
            Val::List(v) | Val::Tuple(v) => v,
            _ => &[],
        }
    }
}

/// Deeper nesting than this is refused (as the reader and the Python side refuse it).
pub const MAX_DEPTH: usize = 1000;
/// The length escape: a u64 length follows.
const LONG: u32 = u32::MAX;

/// Why bytes were not a message.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    UnknownTag(u8),
    Truncated,
    BadUtf8,
    TooDeep,
    TrailingBytes,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::UnknownTag(t) => write!(f, "unknown value tag 0x{t:02x}"),
            DecodeError::Truncated => write!(f, "a value ends early"),
            DecodeError::BadUtf8 => write!(f, "a string is not UTF-8"),
            DecodeError::TooDeep => write!(f, "values nested deeper than {MAX_DEPTH}"),
            DecodeError::TrailingBytes => write!(f, "bytes after the message"),
        }
    }
}

/// A message as one frame: length prefix and payload.
pub fn frame(v: &Val) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(64);
    frame_into(v, &mut out)?;
    Ok(out)
}

/// Appends a message as one frame to `out` (nothing is appended if it cannot be encoded).
pub fn frame_into(v: &Val, out: &mut Vec<u8>) -> Result<(), DecodeError> {
    let start = out.len();
    // The length is written in place once the payload is there (a u64 one moves it).
    out.extend_from_slice(&0u32.to_le_bytes());
    if let Err(e) = encode(v, out, 0) {
        out.truncate(start);
        return Err(e);
    }
    let len = out.len() - start - 4;
    if len >= LONG as usize {
        let payload = out.split_off(start + 4);
        out.truncate(start);
        out.extend_from_slice(&LONG.to_le_bytes());
        out.extend_from_slice(&(len as u64).to_le_bytes());
        out.extend_from_slice(&payload);
    } else {
        out[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    }
    Ok(())
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

/// Appends the encoding of `v`.
pub fn encode(v: &Val, out: &mut Vec<u8>, depth: usize) -> Result<(), DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep);
    }
    // Nesting recurses: grow the stack in segments rather than overflow it.
    if depth % 32 == 31 {
        return crate::stack::guarded(|| encode_here(v, out, depth));
    }
    encode_here(v, out, depth)
}

fn encode_here(v: &Val, out: &mut Vec<u8>, depth: usize) -> Result<(), DecodeError> {
    match v {
        Val::None => out.push(b'N'),
        Val::Bool(true) => out.push(b'T'),
        Val::Bool(false) => out.push(b'F'),
        Val::Int(i) => {
            out.push(b'i');
            out.extend_from_slice(&i.to_le_bytes());
        }
        Val::Big(hex) => {
            out.push(b'I');
            put_str(out, hex);
        }
        Val::Float(f) => {
            out.push(b'd');
            out.extend_from_slice(&f.to_le_bytes());
        }
        Val::Str(s) => {
            out.push(b's');
            put_str(out, s);
        }
        Val::Bytes(b) => {
            out.push(b'b');
            put_len(out, b.len());
            out.extend_from_slice(b);
        }
        Val::List(items) | Val::Tuple(items) => {
            out.push(if matches!(v, Val::List(_)) {
                b'l'
            } else {
                b't'
            });
            put_len(out, items.len());
            for x in items {
                encode(x, out, depth + 1)?;
            }
        }
        Val::Dict(pairs) => {
            out.push(b'm');
            put_len(out, pairs.len());
            for (k, x) in pairs {
                encode(k, out, depth + 1)?;
                encode(x, out, depth + 1)?;
            }
        }
        Val::Handle(n) | Val::Callback(n) | Val::Step(n) => {
            out.push(match v {
                Val::Handle(_) => b'h',
                Val::Callback(_) => b'c',
                _ => b'$',
            });
            out.extend_from_slice(&n.to_le_bytes());
        }
        Val::Pending(rid) => {
            out.push(b'p');
            out.extend_from_slice(&rid.to_le_bytes());
        }
        Val::Array { dtype, shape, data } => {
            out.push(b'a');
            put_str(out, dtype);
            let shape = Val::List(shape.iter().map(|d| Val::Int(*d as i64)).collect());
            encode(&shape, out, depth + 1)?;
            put_len(out, data.len());
            out.extend_from_slice(data);
        }
        Val::Shared {
            dtype,
            shape,
            id,
            fd,
            bytes,
            readonly,
        } => {
            out.push(b'S');
            put_str(out, dtype);
            let shape = Val::List(shape.iter().map(|d| Val::Int(*d as i64)).collect());
            encode(&shape, out, depth + 1)?;
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&fd.to_le_bytes());
            out.extend_from_slice(&bytes.to_le_bytes());
            out.push(u8::from(*readonly));
        }
    }
    Ok(())
}

/// Reads one value from the front of `bytes`.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.at.checked_add(n).ok_or(DecodeError::Truncated)?;
        let s = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated)?;
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or([0; 4]),
        ))
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or([0; 8]),
        ))
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let n = self.u32()? as usize;
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| DecodeError::BadUtf8)
    }

    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.u32()? as usize;
        // Every item takes at least one byte: a count past what is left is a lie.
        if n > self.bytes.len() - self.at {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    fn value(&mut self, depth: usize) -> Result<Val, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::TooDeep);
        }
        if depth % 32 == 31 {
            return crate::stack::guarded(|| self.value_here(depth));
        }
        self.value_here(depth)
    }

    fn value_here(&mut self, depth: usize) -> Result<Val, DecodeError> {
        let tag = self.take(1)?[0];
        Ok(match tag {
            b'N' => Val::None,
            b'T' => Val::Bool(true),
            b'F' => Val::Bool(false),
            b'i' => Val::Int(self.u64()? as i64),
            b'I' => Val::Big(self.string()?),
            b'd' => Val::Float(f64::from_bits(self.u64()?)),
            b's' => Val::Str(self.string()?),
            b'b' => {
                let n = self.u32()? as usize;
                Val::Bytes(self.take(n)?.to_vec())
            }
            b'l' | b't' => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                if tag == b'l' {
                    Val::List(items)
                } else {
                    Val::Tuple(items)
                }
            }
            b'm' => {
                let n = self.count()?;
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    let v = self.value(depth + 1)?;
                    pairs.push((k, v));
                }
                Val::Dict(pairs)
            }
            b'h' => Val::Handle(self.u32()?),
            b'c' => Val::Callback(self.u32()?),
            b'$' => Val::Step(self.u32()?),
            b'p' => Val::Pending(self.u64()?),
            b'a' | b'S' => {
                let dtype = self.string()?;
                let shape = self
                    .value(depth + 1)?
                    .items()
                    .iter()
                    .map(|d| d.as_int().unwrap_or(0).max(0) as usize)
                    .collect();
                if tag == b'S' {
                    Val::Shared {
                        dtype,
                        shape,
                        id: self.u64()?,
                        fd: self.u32()?,
                        bytes: self.u64()?,
                        readonly: self.take(1)?[0] != 0,
                    }
                } else {
                    let n = self.u32()? as usize;
                    Val::Array {
                        dtype,
                        shape,
                        data: self.take(n)?.to_vec(),
                    }
                }
            }
            t => return Err(DecodeError::UnknownTag(t)),
        })
    }
}

/// Decodes one whole payload.
pub fn decode(payload: &[u8]) -> Result<Val, DecodeError> {
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let v = r.value(0)?;
    if r.at != payload.len() {
        return Err(DecodeError::TrailingBytes);
    }
    Ok(v)
}

/// Frames from a byte stream: feed what was read, take the messages that are complete.
#[derive(Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Where the unread bytes start.
    at: usize,
}

impl Decoder {
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.at > 0 && self.at == self.buf.len() {
            self.buf.clear();
            self.at = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole message, if one has arrived.
    pub fn next_message(&mut self) -> Option<Result<Val, DecodeError>> {
        let rest = &self.buf[self.at..];
        if rest.len() < 4 {
            return None;
        }
        let short = u32::from_le_bytes(rest[..4].try_into().ok()?);
        let (header, len) = if short == LONG {
            if rest.len() < 12 {
                return None;
            }
            (
                12,
                u64::from_le_bytes(rest[4..12].try_into().ok()?) as usize,
            )
        } else {
            (4, short as usize)
        };
        if rest.len() - header < len {
            return None;
        }
        let payload = &rest[header..header + len];
        let v = decode(payload);
        self.at += header + len;
        if self.at > 1 << 20 && self.at * 2 > self.buf.len() {
            self.buf.drain(..self.at);
            self.at = 0;
        }
        Some(v)
    }

    /// Bytes received that are not a whole message yet.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: Val) {
        let f = frame(&v).unwrap();
        let mut d = Decoder::default();
        // Byte by byte: a message is only given once whole.
        for (i, b) in f.iter().enumerate() {
            d.feed(&[*b]);
            let got = d.next_message();
            if i + 1 < f.len() {
                assert!(got.is_none());
            } else {
                assert_eq!(got.unwrap().unwrap(), v);
            }
        }
    }

    #[test]
    fn values_round_trip_even_fed_a_byte_at_a_time() {
        round_trip(Val::List(vec![
            Val::None,
            Val::Bool(true),
            Val::Int(-5),
            Val::Big("-1f4".into()),
            Val::Float(2.5),
            Val::str("é"),
            Val::Bytes(vec![0, 255]),
            Val::Tuple(vec![
                Val::Handle(1),
                Val::Callback(2),
                Val::Step(3),
                Val::Pending(4),
            ]),
            Val::Dict(vec![(Val::str("k"), Val::List(vec![]))]),
            Val::Array {
                dtype: "int8".into(),
                shape: vec![2],
                data: vec![1, 2],
            },
        ]));
    }

    #[test]
    fn several_frames_in_one_read() {
        let mut bytes = frame(&Val::Int(1)).unwrap();
        bytes.extend(frame(&Val::Int(2)).unwrap());
        let mut d = Decoder::default();
        d.feed(&bytes);
        assert_eq!(d.next_message().unwrap().unwrap(), Val::Int(1));
        assert_eq!(d.next_message().unwrap().unwrap(), Val::Int(2));
        assert!(d.next_message().is_none());
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert_eq!(decode(b"?"), Err(DecodeError::UnknownTag(b'?')));
        assert_eq!(decode(b"s\x05\x00\x00\x00ab"), Err(DecodeError::Truncated));
        assert_eq!(decode(b"l\xff\xff\xff\xff"), Err(DecodeError::Truncated));
        assert_eq!(decode(b"NN"), Err(DecodeError::TrailingBytes));
        let mut deep = [b'l', 1, 0, 0, 0].repeat(MAX_DEPTH + 2);
        deep.push(b'N');
        assert_eq!(decode(&deep), Err(DecodeError::TooDeep));
    }
}
