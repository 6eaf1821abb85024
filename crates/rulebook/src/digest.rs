//! Hashes as text: SHA-256 of some bytes in lowercase hex, the one
//! definition every crate of the workspace uses (the policy hash, the
//! decision log's chain, the native-code cache key), and keyed hashes
//! under a key derived for one purpose ([`LabelledKey`]).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// HMAC-SHA256 under HMAC-SHA256(key, label): one operator key serves
/// several purposes (the log's chain, personal facts, the facts' digest),
/// each under its own label, and a hash made for one cannot pass for another.
#[derive(Clone)]
pub struct LabelledKey(Hmac<Sha256>);

impl std::fmt::Debug for LabelledKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LabelledKey(..)")
    }
}

impl LabelledKey {
    /// The key for `label`; None for an empty key (anyone could recompute
    /// its hashes).
    pub fn derive(key: &[u8], label: &[u8]) -> Option<LabelledKey> {
        if key.is_empty() {
            return None;
        }
        // HMAC takes keys of any length: neither call can fail
        let mut derive = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
        derive.update(label);
        let derived = derive.finalize().into_bytes();
        <Hmac<Sha256> as Mac>::new_from_slice(&derived)
            .ok()
            .map(LabelledKey)
    }

    /// The lowercase hex HMAC of the concatenation of `parts`.
    pub fn hex(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes())
    }
}

/// SHA-256 of some bytes, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * bytes.len());
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_digest() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
