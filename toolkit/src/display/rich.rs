//! Values that know how to show themselves: a MIME bundle per value.

use base64::Engine;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The representations of one value, keyed by MIME type; the frontend
/// picks the richest it can show. Images are base64 text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MimeBundle {
    data: BTreeMap<String, String>,
}

impl MimeBundle {
    /// A bundle with a `text/plain` representation (every bundle needs one).
    pub fn text(text: impl Into<String>) -> Self {
        let mut data = BTreeMap::new();
        data.insert("text/plain".to_owned(), text.into());
        MimeBundle { data }
    }

    /// Adds a representation.
    pub fn with(mut self, mime: &str, content: impl Into<String>) -> Self {
        self.data.insert(mime.to_owned(), content.into());
        self
    }

    pub fn get(&self, mime: &str) -> Option<&str> {
        self.data.get(mime).map(String::as_str)
    }

    pub fn plain_text(&self) -> &str {
        self.get("text/plain").unwrap_or_default()
    }

    pub(crate) fn to_json(&self) -> Value {
        Value::Object(
            self.data.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<Map<_, _>>(),
        )
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
pub trait ShowRich {
    fn evcxr_display(&self);
}

impl<T: Rich + ?Sized> ShowRich for T {
    fn evcxr_display(&self) {
        self.to_mime().send_as_cell_result();
    }
}

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
    /// HTML shown as a page fragment: `display(&html("<b>bold</b>"))`.
    Html, html, "text/html"
);
text_kind!(
    /// Markdown rendered by the frontend: `display(&markdown("**bold**"))`.
    Markdown, markdown, "text/markdown"
);
text_kind!(
    /// An SVG picture: `display(&svg("<svg ...>...</svg>"))`.
    Svg, svg, "image/svg+xml"
);

/// A PNG picture from its encoded bytes: `display(&png(bytes))`.
#[derive(Debug, Clone, PartialEq)]
pub struct Png(pub Vec<u8>);

/// A PNG picture from its encoded bytes: `display(&png(bytes))`.
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
