//! The kinds of trigger, each named in the manifest by one key
//! (`http: POST /ride`, `queue: rides`, ...).

/// A trigger's kind, as the key that names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Http,
    Url,
    Schedule,
    Queue,
    Stream,
    Topic,
    Bucket,
    Event,
}

impl Kind {
    /// Every kind, in the order the manifest's documentation lists them.
    pub const ALL: [Kind; 8] = [
        Kind::Http,
        Kind::Url,
        Kind::Schedule,
        Kind::Queue,
        Kind::Stream,
        Kind::Topic,
        Kind::Bucket,
        Kind::Event,
    ];

    /// The key that names this kind in a trigger.
    pub const fn key(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Url => "url",
            Kind::Schedule => "schedule",
            Kind::Queue => "queue",
            Kind::Stream => "stream",
            Kind::Topic => "topic",
            Kind::Bucket => "bucket",
            Kind::Event => "event",
        }
    }

    /// The kind a key names, if it names one.
    pub fn from_key(key: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Every kind's key, in the order of `ALL`.
    pub const fn keys() -> [&'static str; 8] {
        let mut out = [""; 8];
        let mut i = 0;
        while i < Kind::ALL.len() {
            out[i] = Kind::ALL[i].key();
            i += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_key() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_key(k.key()), Some(k));
        }
        let mut keys = Kind::keys().to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Kind::ALL.len());
    }
}
