//! Packs `key:value` lines into one datagram-sized buffer.

use std::io::Write;

use crate::MAX_DATAGRAM_BYTES;

/// One datagram being filled. The buffer is reused for every datagram the client sends.
pub(crate) struct Batch {
    /// `key:` written once, copied in front of every value.
    prefix: Vec<u8>,
    buffer: Vec<u8>,
    lines: u64,
    /// Scratch space for formatting one line before checking that it fits.
    line: Vec<u8>,
}

impl Batch {
    pub(crate) fn new(key: &str) -> Self {
        let mut prefix = Vec::with_capacity(key.len() + 1);
        prefix.extend_from_slice(key.as_bytes());
        prefix.push(b':');
        Self {
            prefix,
            buffer: Vec::with_capacity(MAX_DATAGRAM_BYTES),
            lines: 0,
            line: Vec::with_capacity(64),
        }
    }

    /// Appends one line; returns false (and leaves the batch unchanged) when it does not fit.
    pub(crate) fn push(&mut self, value_ms: f64) -> bool {
        self.line.clear();
        self.line.extend_from_slice(&self.prefix);
        // `Display` for f64 prints the shortest text that parses back to the same value.
        write!(self.line, "{value_ms}").expect("writing into a Vec cannot fail");
        let separator = usize::from(!self.buffer.is_empty());
        if self.buffer.len() + separator + self.line.len() > MAX_DATAGRAM_BYTES {
            return false;
        }
        if separator == 1 {
            self.buffer.push(b'\n');
        }
        self.buffer.extend_from_slice(&self.line);
        self.lines += 1;
        true
    }

    pub(crate) fn payload(&self) -> &[u8] {
        &self.buffer
    }

    pub(crate) fn lines(&self) -> u64 {
        self.lines
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.lines == 0
    }

    pub(crate) fn clear(&mut self) {
        self.buffer.clear();
        self.lines = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_newline_separated_key_value_pairs() {
        let mut batch = Batch::new("portal-a-1");
        assert!(batch.push(1.5));
        assert!(batch.push(20.0));
        assert_eq!(batch.payload(), b"portal-a-1:1.5\nportal-a-1:20");
        assert_eq!(batch.lines(), 2);
    }

    #[test]
    fn a_batch_never_exceeds_the_datagram_limit_and_every_line_parses_back() {
        let mut batch = Batch::new(&"k".repeat(128));
        let mut pushed = Vec::new();
        let mut value = 0.123_456_789_f64;
        while batch.push(value) {
            pushed.push(value);
            value *= 1.7;
        }
        assert!(batch.payload().len() <= MAX_DATAGRAM_BYTES);
        assert!(pushed.len() >= 5, "only {} lines fit", pushed.len());
        let text = std::str::from_utf8(batch.payload()).unwrap();
        let parsed: Vec<f64> = text
            .lines()
            .map(|line| line.rsplit_once(':').unwrap().1.parse().unwrap())
            .collect();
        assert_eq!(parsed, pushed);
        batch.clear();
        assert!(batch.is_empty() && batch.payload().is_empty());
    }
}
