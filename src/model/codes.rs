//! Enums that travel as words: each variant has one code (the contract's
//! word, as written in CSV, JSON, the store and the ledger) and one label
//! (how the bureau says it), given once in a table. Serialization, parsing
//! and display all read that table, so a code is never spelled twice.

/// Declares an enum whose variants each carry a code and a Chinese label.
///
/// The enum gets `ALL`, `code()`, `label()`, `FromStr` (by code),
/// `Display` (the code), and serde in both directions (by code).
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $code:literal / $label:literal,
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The contract's word for the value.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The value as the bureau says it.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }
        }

        impl $crate::model::codes::Coded for $name {
            fn all() -> &'static [Self] {
                $name::ALL
            }
            fn code(self) -> &'static str {
                $name::code(self)
            }
            fn label(self) -> &'static str {
                $name::label(self)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::model::codes::UnknownCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::model::codes::UnknownCode {
                        what: stringify!($name),
                        code: s.to_string(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

pub(crate) use codes;

/// What every enum declared with `codes!` offers, for code that works on
/// any of them (reading a plan's choice columns, say).
pub trait Coded: Copy + 'static {
    fn all() -> &'static [Self];
    fn code(self) -> &'static str;
    fn label(self) -> &'static str;

    /// The variant a person wrote as its label or code (case-insensitive).
    fn from_word(word: &str) -> Option<Self> {
        let word = word.trim().to_lowercase();
        Self::all()
            .iter()
            .copied()
            .find(|v| word == v.label() || word == v.code())
    }
}

/// A code that names no variant (a damaged store or ledger, a newer
/// tally's file).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("“{code}”不是有效的 {what} 代码")]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
}
