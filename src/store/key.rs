//! [`Key`]: a string key kept inline, ordered like `str` a word at a time.

use serde::{Deserialize, Serialize};

/// A string key of large ordered collections, held inline up to 24 bytes (a `CompactString`),
/// so a B-tree node compares its keys without following a pointer per key. Keys compare
/// eight bytes at a time ([`KeyStr::cmp`]), in exactly `str`'s order, so maps keyed by `Key`
/// are looked up with a `&str` or, without a `memcmp` call per key compared, with a
/// [`KeyStr`]; a key serializes as a plain string.
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Key(compact_str::CompactString);

impl Key {
    /// The key spelled `s`.
    pub fn new(s: &str) -> Key {
        Key(compact_str::CompactString::new(s))
    }

    /// The key as a string slice.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> std::cmp::Ordering {
        KeyStr::new(self.as_str()).cmp(KeyStr::new(other.as_str()))
    }
}

/// A borrowed key: a `str` that orders like [`Key`], eight bytes at a time. A map keyed by
/// `Key` looked up with a plain `&str` compares through `str`'s order (a `memcmp` call per
/// key of every node visited); looked up with a `&KeyStr` ([`Borrow`](std::borrow::Borrow)),
/// it compares a word at a time inline: ids share prefixes (`vpc-bp1…`) that `memcmp` pays
/// a call to get past.
#[derive(PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct KeyStr(str);

impl KeyStr {
    /// `s` as a borrowed key.
    pub fn new(s: &str) -> &KeyStr {
        // SAFETY: `KeyStr` is `repr(transparent)` over `str`, so the two references have the
        // same layout and metadata (as `Path::new` does for `OsStr`).
        unsafe { &*(s as *const str as *const KeyStr) }
    }

    /// The key as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Ord for KeyStr {
    /// Byte-wise, as `str` orders, comparing big-endian words: the common id prefixes
    /// (`eni-bp1…`, `vpc-bp1…`) cost one word instead of a call to `memcmp`.
    fn cmp(&self, other: &KeyStr) -> std::cmp::Ordering {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        let mut words = a.chunks_exact(8).zip(b.chunks_exact(8));
        let mut at = 0;
        for (x, y) in &mut words {
            let (x, y) = (crate::swar::word_be(x), crate::swar::word_be(y));
            if x != y {
                return x.cmp(&y);
            }
            at += 8;
        }
        a.get(at..).cmp(&b.get(at..))
    }
}

impl PartialOrd for KeyStr {
    fn partial_cmp(&self, other: &KeyStr) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::borrow::Borrow<KeyStr> for Key {
    fn borrow(&self) -> &KeyStr {
        KeyStr::new(self.as_str())
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::ops::Deref for Key {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Key {
    fn from(s: &str) -> Key {
        Key::new(s)
    }
}

impl From<&String> for Key {
    fn from(s: &String) -> Key {
        Key::new(s)
    }
}

impl From<String> for Key {
    /// Keeps `s`'s buffer when it is too long to be held inline.
    fn from(s: String) -> Key {
        Key(compact_str::CompactString::from(s))
    }
}

impl From<&Key> for String {
    fn from(id: &Key) -> String {
        id.as_str().to_owned()
    }
}

impl From<Key> for String {
    fn from(id: Key) -> String {
        id.as_str().to_owned()
    }
}

impl PartialEq<str> for Key {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Key {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Key {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Key> for String {
    fn eq(&self, other: &Key) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Key> for str {
    fn eq(&self, other: &Key) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Key> for &str {
    fn eq(&self, other: &Key) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `Key`'s word-at-a-time order is `str`'s, so maps keyed by `Key` can be searched
        /// with a `&str` (`Borrow<str>`): shared prefixes, NUL bytes, every length around the
        /// word size and beyond the inline 24 bytes.
        #[test]
        fn key_order_is_str_order(
            prefix in "(eni-bp1|i-bp1|vpc-|)[a-z0-9]{0,6}",
            a in "[a-z0-9\\x00\\x7f-\\u{ff}]{0,30}",
            b in "[a-z0-9\\x00\\x7f-\\u{ff}]{0,30}",
        ) {
            let (x, y) = (format!("{prefix}{a}"), format!("{prefix}{b}"));
            proptest::prop_assert_eq!(Key::new(&x).cmp(&Key::new(&y)), x.as_str().cmp(y.as_str()));
            proptest::prop_assert_eq!(Key::new(&x) == Key::new(&y), x == y);
            proptest::prop_assert_eq!(KeyStr::new(&x).cmp(KeyStr::new(&y)), x.as_str().cmp(y.as_str()));
            let z = format!("{x}{b}");
            proptest::prop_assert_eq!(Key::new(&x).cmp(&Key::new(&z)), x.as_str().cmp(z.as_str()));
        }
    }
}
