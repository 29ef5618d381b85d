//! A hash map for the lookups made once per changed file (directories, signatures): keys that
//! come from the repository being filtered, hashed with a few multiplications rather than
//! SipHash (rustc's Fx hash; no protection against chosen collisions is needed here).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// rustc's Fx hash, eight bytes at a time.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            self.add(u64::from_le_bytes(eight));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut eight = [0u8; 8];
            eight[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(eight) ^ (rest.len() as u64) << 59);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_near_keys_apart() {
        let hash = |s: &str| {
            let mut h = FastHasher::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(hash("apps/svc01/src"), hash("apps/svc01/src"));
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "apps/svc01/src",
            "apps/svc02/src",
            "apps/svc01/srd",
        ];
        let distinct: std::collections::HashSet<u64> = keys.iter().map(|k| hash(k)).collect();
        assert_eq!(distinct.len(), keys.len());
        let mut map: FastMap<String, usize> = FastMap::default();
        for (i, k) in keys.iter().enumerate() {
            map.insert((*k).to_owned(), i);
        }
        assert_eq!(map.get("apps/svc02/src"), Some(&5));
    }
}
