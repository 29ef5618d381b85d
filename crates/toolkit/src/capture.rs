//! An in-memory writer for tests: give clones of one [`Capture`] to a [`Runner`](crate::Runner)
//! and read everything it printed afterwards.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// A cloneable, thread-safe byte buffer implementing [`Write`]. All clones share the buffer.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    buf: Arc<Mutex<Vec<u8>>>,
}

impl Capture {
    /// An empty buffer.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    #[must_use]
    pub fn contents(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// The lines written so far.
    #[must_use]
    pub fn lines(&self) -> Vec<String> {
        self.contents().lines().map(str::to_owned).collect()
    }

    /// Forget everything written so far.
    pub fn clear(&self) {
        self.buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Write for Capture {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_buffer() {
        let a = Capture::new();
        let mut b = a.clone();
        writeln!(b, "one").unwrap();
        write!(b, "two").unwrap();
        assert_eq!(a.contents(), "one\ntwo");
        assert_eq!(a.lines(), vec!["one", "two"]);
        a.clear();
        assert_eq!(b.contents(), "");
    }
}
