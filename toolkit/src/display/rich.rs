//! Values that know how to show themselves: a MIME bundle per value.
//!
//! ```
//! use fireside::prelude::*;
//! let bundle = markdown("**bold**").to_mime();
//! assert_eq!(bundle.get("text/markdown"), Some("**bold**"));
//! ```

use base64::Engine;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Debug;

/// The representations of one value, keyed by MIME type; the frontend
/// picks the richest it can show. Images are base64 text. It is what
/// IPython's `_repr_mimebundle_` returns.
///
/// ```
/// use fireside::display::MimeBundle;
/// let bundle = MimeBundle::text("3 apples").with("text/html", "<b>3</b> apples");
/// assert_eq!(bundle.get("text/html"), Some("<b>3</b> apples"));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MimeBundle {
    data: BTreeMap<String, String>,
}

impl MimeBundle {
    /// A bundle with a `text/plain` representation (every bundle needs one).
    ///
    /// ```
    /// use fireside::display::MimeBundle;
    /// assert_eq!(MimeBundle::text("hello").plain_text(), "hello");
    /// ```
    pub fn text(text: impl Into<String>) -> Self {
        let mut data = BTreeMap::new();
        data.insert("text/plain".to_owned(), text.into());
        MimeBundle { data }
    }

    /// Adds a representation, replacing any of the same MIME type.
    ///
    /// ```
    /// use fireside::display::MimeBundle;
    /// let bundle = MimeBundle::text("x²").with("text/latex", "$x^2$");
    /// assert_eq!(bundle.get("text/latex"), Some("$x^2$"));
    /// ```
    pub fn with(mut self, mime: &str, content: impl Into<String>) -> Self {
        self.data.insert(mime.to_owned(), content.into());
        self
    }

    /// The representation of MIME type `mime`, if the bundle has one.
    ///
    /// ```
    /// use fireside::display::MimeBundle;
    /// let bundle = MimeBundle::text("plain only");
    /// assert_eq!((bundle.get("text/plain"), bundle.get("image/png")), (Some("plain only"), None));
    /// ```
    pub fn get(&self, mime: &str) -> Option<&str> {
        self.data.get(mime).map(String::as_str)
    }

    /// The `text/plain` representation, what a terminal shows ("" if none).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(html("<b>hi</b>").to_mime().plain_text(), "<b>hi</b>");
    /// ```
    pub fn plain_text(&self) -> &str {
        self.get("text/plain").unwrap_or_default()
    }

    pub(crate) fn to_json(&self) -> Map<String, Value> {
        self.data.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect()
    }

    /// Writes the bundle the way evcxr reads a cell's final value.
    pub(crate) fn send_as_cell_result(&self) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for (mime, content) in &self.data {
            let _ = writeln!(out, "EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
        }
        let _ = out.flush();
    }
}

/// A value with a rich representation in notebooks.
///
/// ```
/// use fireside::display::{MimeBundle, Rich};
/// struct Greeting;
/// impl Rich for Greeting {
///     fn to_mime(&self) -> MimeBundle {
///         MimeBundle::text("hello").with("text/html", "<b>hello</b>")
///     }
/// }
/// assert_eq!(Greeting.to_mime().plain_text(), "hello");
/// ```
pub trait Rich {
    /// The value's representations; [`display`](crate::display::display) sends them to the notebook.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(svg("<svg/>").to_mime().get("image/svg+xml"), Some("<svg/>"));
    /// ```
    fn to_mime(&self) -> MimeBundle;
}

impl<T: Rich + ?Sized> Rich for &T {
    fn to_mime(&self) -> MimeBundle {
        (**self).to_mime()
    }
}

/// How evcxr shows a cell's last expression: it calls `.evcxr_display()`
/// and, when the value has no such method, falls back to `Debug`. With this
/// trait in scope (the prelude imports it), every [`Rich`] value renders
/// richly.
///
/// ```no_run
/// use fireside::prelude::*;
/// // What evcxr does with a cell that ends in `markdown("**done**")`:
/// markdown("**done**").evcxr_display();
/// ```
pub trait ShowRich {
    /// Writes the value's MIME bundle to stdout in evcxr's format.
    fn evcxr_display(&self);
}

impl<T: Rich + ?Sized> ShowRich for T {
    fn evcxr_display(&self) {
        self.to_mime().send_as_cell_result();
    }
}

/// The `Debug` text of standard values (numbers, strings, vectors,
/// options, tuples, maps...), as evcxr's own fallback prints it, but found
/// on the first compile. evcxr first compiles `(value).evcxr_display()`
/// and, when that does not compile, compiles the cell again with
/// `format!("{:?}", ..)`; the second compile costs about a second.
///
/// It is implemented for a list of std types rather than for every
/// `Debug` type, because a toolkit value that is both [`Rich`] and `Debug`
/// would then have two `evcxr_display` methods and show neither. Other
/// types take evcxr's fallback, with the same text. (`:fmt` and `:types`
/// apply to that fallback only.)
///
/// ```no_run
/// use fireside::prelude::*;
/// // What evcxr does with a cell that ends in `2 * 21`:
/// (2 * 21).evcxr_display(); // prints the text/plain bundle "42"
/// ```
pub trait ShowDebug {
    /// Writes the value's `Debug` text to stdout in evcxr's format.
    fn evcxr_display(&self);
}

macro_rules! show_debug {
    ($([$($generics:tt)*] $type:ty),* $(,)?) => {
        $(
            impl<$($generics)*> ShowDebug for $type {
                fn evcxr_display(&self) {
                    MimeBundle::text(format!("{self:?}")).send_as_cell_result();
                }
            }
        )*
    };
}

show_debug!(
    [] i8, [] i16, [] i32, [] i64, [] i128, [] isize,
    [] u8, [] u16, [] u32, [] u64, [] u128, [] usize,
    [] f32, [] f64, [] bool, [] char, [] str, [] String, [] (),
    [T: Debug] [T], [T: Debug, const N: usize] [T; N], [T: Debug] Vec<T>,
    [T: Debug] std::collections::VecDeque<T>, [T: Debug] Option<T>, [T: Debug, E: Debug] Result<T, E>,
    [A: Debug, B: Debug] (A, B), [A: Debug, B: Debug, C: Debug] (A, B, C),
    [A: Debug, B: Debug, C: Debug, D: Debug] (A, B, C, D),
    [K: Debug, V: Debug, S] std::collections::HashMap<K, V, S>, [K: Debug, V: Debug] std::collections::BTreeMap<K, V>,
    [T: Debug, S] std::collections::HashSet<T, S>, [T: Debug] std::collections::BTreeSet<T>,
    [T: Debug] std::ops::Range<T>,
);

macro_rules! text_kind {
    ($(#[$doc:meta])* $name:ident, $fn_name:ident, $mime:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(pub String);

        impl Rich for $name {
            fn to_mime(&self) -> MimeBundle {
                MimeBundle::text(self.0.clone()).with($mime, self.0.clone())
            }
        }

        $(#[$doc])*
        pub fn $fn_name(content: impl Into<String>) -> $name {
            $name(content.into())
        }
    };
}

text_kind!(
    /// HTML shown as a page fragment: `display(&html("<b>bold</b>"))`
    /// (IPython's `display(HTML(...))`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let page = html("<b>bold</b>");   // display(&page) shows it
    /// assert_eq!(page.to_mime().get("text/html"), Some("<b>bold</b>"));
    /// ```
    Html, html, "text/html"
);
text_kind!(
    /// Markdown rendered by the frontend: `display(&markdown("**bold**"))`
    /// (IPython's `display(Markdown(...))`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let text = markdown("**bold**");   // display(&text) shows it
    /// assert_eq!(text.to_mime().get("text/markdown"), Some("**bold**"));
    /// ```
    Markdown, markdown, "text/markdown"
);
text_kind!(
    /// An SVG picture: `display(&svg("<svg ...>...</svg>"))` (IPython's `display(SVG(...))`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let picture = svg(r#"<svg width="10" height="10"><circle r="5" cx="5" cy="5"/></svg>"#);
    /// assert!(picture.to_mime().get("image/svg+xml").is_some());
    /// ```
    Svg, svg, "image/svg+xml"
);

/// A PNG picture from its encoded bytes: `display(&png(bytes))` (IPython's
/// `display(Image(data))`).
///
/// ```
/// use fireside::prelude::*;
/// let picture = png(vec![1u8, 2, 3]);   // usually std::fs::read("picture.png").unwrap()
/// assert_eq!(picture.to_mime().get("image/png"), Some("AQID"));   // sent as base64
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Png(pub Vec<u8>);

/// A PNG picture from its encoded bytes: `display(&png(bytes))`.
///
/// ```no_run
/// use fireside::prelude::*;
/// let bytes = std::fs::read("digits.png").expect("a PNG file");
/// display(&png(bytes));
/// ```
pub fn png(bytes: impl Into<Vec<u8>>) -> Png {
    Png(bytes.into())
}

impl Rich for Png {
    fn to_mime(&self) -> MimeBundle {
        MimeBundle::text(format!("<PNG image, {} bytes>", self.0.len()))
            .with("image/png", base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_keep_every_representation() {
        let bundle = html("<b>x</b>").to_mime();
        assert_eq!(bundle.get("text/html"), Some("<b>x</b>"));
        assert_eq!(bundle.plain_text(), "<b>x</b>");
        let picture = png(vec![1u8, 2, 3]).to_mime();
        assert_eq!(picture.get("image/png"), Some("AQID"));
    }
}
