//! The Jupyter wire format: ZeroMQ frames, the `<IDS|MSG>` delimiter and the
//! HMAC signature over header, parent header, metadata and content.
//!
//! See <https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol>.

use bytes::Bytes;
use chrono::SubsecRound;
use hmac::{Hmac, Mac};
use jupyter_protocol::{Header, JupyterMessageContent};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

const DELIMITER: &[u8] = b"<IDS|MSG>";

/// Why an incoming multipart message was rejected.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("no <IDS|MSG> delimiter among the {0} frames")]
    NoDelimiter(usize),
    #[error("expected signature, header, parent header, metadata and content after the delimiter")]
    MissingFrames,
    #[error("the HMAC signature does not match: check the key in the connection file")]
    BadSignature,
    #[error("the header is not a JSON object with a msg_id and a msg_type")]
    BadHeader,
    /// Signed, with a readable header, so the sender can be answered.
    #[error("the {frame} frame of a {} is not valid JSON: {source}", request.msg_type())]
    BadJson { frame: &'static str, source: serde_json::Error, request: Box<Message> },
    #[error("the signature was seen before: a replayed message")]
    Replayed,
    #[error("unsupported signature scheme {0:?}: only hmac-sha256 is implemented")]
    UnsupportedScheme(String),
}

/// Signs and verifies messages with the key from the connection file.
/// An empty key disables signing, as the protocol specifies.
#[derive(Clone)]
pub struct Signer {
    key: Option<Vec<u8>>,
    seen: Arc<Mutex<SeenSignatures>>,
}

/// The signatures of the last messages received, to refuse a replayed one,
/// as jupyter_client's `Session.digest_history` does (and of the same size).
#[derive(Default)]
struct SeenSignatures {
    set: HashSet<Bytes>,
    order: VecDeque<Bytes>,
}

const SEEN_SIGNATURES: usize = 1 << 16;

impl SeenSignatures {
    /// Records a signature; false if it was already there.
    fn insert(&mut self, signature: &Bytes) -> bool {
        if !self.set.insert(signature.clone()) {
            return false;
        }
        self.order.push_back(signature.clone());
        if self.order.len() > SEEN_SIGNATURES
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        true
    }
}

impl Signer {
    pub fn new(scheme: &str, key: &str) -> Result<Self, WireError> {
        let seen = Arc::default();
        if key.is_empty() {
            return Ok(Signer { key: None, seen });
        }
        if scheme != "hmac-sha256" {
            return Err(WireError::UnsupportedScheme(scheme.to_owned()));
        }
        Ok(Signer { key: Some(key.as_bytes().to_vec()), seen })
    }

    /// Whether messages are signed: not with an empty key.
    pub fn is_signing(&self) -> bool {
        self.key.is_some()
    }

    fn mac(&self, parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
        let key = self.key.as_ref()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
        for part in parts {
            mac.update(part);
        }
        Some(mac)
    }

    pub fn sign(&self, parts: &[&[u8]]) -> String {
        self.mac(parts).map(|mac| hex::encode(mac.finalize().into_bytes())).unwrap_or_default()
    }

    /// Constant-time comparison of the signature a peer sent.
    pub fn verify(&self, signature: &[u8], parts: &[&[u8]]) -> bool {
        match self.mac(parts) {
            None => true,
            Some(mac) => match hex::decode(signature) {
                Ok(bytes) => mac.verify_slice(&bytes).is_ok(),
                Err(_) => false,
            },
        }
    }
}

/// One Jupyter message. Headers are typed (`jupyter_protocol::Header`); an
/// incoming content stays a JSON value until the handler that understands
/// it decodes it (`content_as`), and an outgoing one is made from one of
/// `jupyter_protocol`'s typed contents (`child_of`).
#[derive(Debug, Clone)]
pub struct Message {
    pub identities: Vec<Bytes>,
    pub header: Header,
    /// `None` is sent as `{}`, as the protocol asks of a message with no parent.
    pub parent_header: Option<Header>,
    pub metadata: Value,
    pub content: Value,
    pub buffers: Vec<Bytes>,
}

impl Message {
    pub fn msg_type(&self) -> &str {
        &self.header.msg_type
    }

    pub fn session(&self) -> &str {
        &self.header.session
    }

    /// The content as the request type `T` of `jupyter_protocol`.
    pub fn content_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.content)
    }

    /// Decodes and verifies the frames of a message received on a ROUTER socket.
    pub fn decode(frames: Vec<Bytes>, signer: &Signer) -> Result<Message, WireError> {
        let count = frames.len();
        let delimiter = frames
            .iter()
            .position(|frame| frame.as_ref() == DELIMITER)
            .ok_or(WireError::NoDelimiter(count))?;
        let identities = frames[..delimiter].to_vec();
        let rest = &frames[delimiter + 1..];
        if rest.len() < 5 {
            return Err(WireError::MissingFrames);
        }
        let parts: Vec<&[u8]> = rest[1..5].iter().map(|frame| frame.as_ref()).collect();
        if !signer.verify(&rest[0], &parts) {
            return Err(WireError::BadSignature);
        }
        // A copy: the frame is a slice of the socket's whole read buffer,
        // which the history would otherwise keep alive.
        if signer.is_signing() && !signer.seen.lock().unwrap().insert(&Bytes::copy_from_slice(&rest[0])) {
            return Err(WireError::Replayed);
        }
        let header = serde_json::from_slice::<Header>(&rest[1]).map_err(|_| WireError::BadHeader)?;
        let mut message = Message {
            identities,
            header,
            parent_header: None,
            metadata: json!({}),
            content: json!({}),
            buffers: rest[5..].to_vec(),
        };
        let parent_header =
            serde_json::from_slice::<Value>(&rest[2]).and_then(jupyter_protocol::deserialize_parent_header);
        match parent_header {
            Ok(parent_header) => message.parent_header = parent_header,
            Err(source) => {
                return Err(WireError::BadJson {
                    frame: "parent_header",
                    source,
                    request: Box::new(message),
                });
            }
        }
        for (frame, bytes) in [("metadata", &rest[3]), ("content", &rest[4])] {
            let value = match serde_json::from_slice::<Value>(bytes) {
                Ok(value) => value,
                Err(source) => return Err(WireError::BadJson { frame, source, request: Box::new(message) }),
            };
            match frame {
                "metadata" => message.metadata = value,
                _ => message.content = value,
            }
        }
        Ok(message)
    }

    /// Encodes the message as signed frames, identities first.
    pub fn encode(&self, signer: &Signer) -> Vec<Bytes> {
        fn json(value: &impl serde::Serialize) -> Bytes {
            Bytes::from(serde_json::to_vec(value).expect("headers and JSON values serialize"))
        }
        let header = json(&self.header);
        let parent = match &self.parent_header {
            Some(parent) => json(parent),
            None => Bytes::from_static(b"{}"),
        };
        let metadata = json(&self.metadata);
        let content = json(&self.content);
        let signature = signer.sign(&[&header, &parent, &metadata, &content]);
        let mut frames = self.identities.clone();
        frames.push(Bytes::from_static(DELIMITER));
        frames.push(Bytes::from(signature));
        frames.extend([header, parent, metadata, content]);
        frames.extend(self.buffers.iter().cloned());
        frames
    }

    /// A new message in reply to (or caused by) `parent`; its type is the
    /// content's.
    pub fn child_of(parent: &Message, content: impl Into<JupyterMessageContent>) -> Message {
        let content = content.into();
        Message::child_of_type(parent, content.message_type(), content_value(&content))
    }

    /// A reply of a type that `jupyter_protocol` cannot name: an error
    /// reply to any request, including ones this kernel does not know.
    pub fn child_of_type(parent: &Message, msg_type: &str, content: Value) -> Message {
        Message {
            identities: parent.identities.clone(),
            header: new_header(msg_type, parent.session()),
            parent_header: Some(parent.header.clone()),
            metadata: json!({}),
            content,
            buffers: Vec::new(),
        }
    }

    /// A message with no parent, such as the `starting` status.
    pub fn orphan(session: &str, content: impl Into<JupyterMessageContent>) -> Message {
        let content = content.into();
        Message {
            identities: Vec::new(),
            header: new_header(content.message_type(), session),
            parent_header: None,
            metadata: json!({}),
            content: content_value(&content),
            buffers: Vec::new(),
        }
    }
}

fn content_value(content: &JupyterMessageContent) -> Value {
    serde_json::to_value(content).expect("jupyter_protocol's contents serialize")
}

fn new_header(msg_type: &str, session: &str) -> Header {
    Header {
        msg_id: uuid::Uuid::new_v4().to_string(),
        session: session.to_owned(),
        username: "fireside".to_owned(),
        // Microseconds: jupyter_client reads dates with at most six digits.
        date: chrono::Utc::now().trunc_subsecs(6),
        msg_type: msg_type.to_owned(),
        version: crate::PROTOCOL_VERSION.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(signer: &Signer) -> Vec<Bytes> {
        let message = Message {
            identities: vec![Bytes::from_static(b"client-1")],
            header: new_header("kernel_info_request", "s1"),
            parent_header: None,
            metadata: json!({}),
            content: json!({}),
            buffers: vec![],
        };
        message.encode(signer)
    }

    #[test]
    fn round_trip_keeps_identities_and_content() {
        let signer = Signer::new("hmac-sha256", "secret").unwrap();
        let decoded = Message::decode(request(&signer), &signer).unwrap();
        assert_eq!(decoded.identities, vec![Bytes::from_static(b"client-1")]);
        assert_eq!(decoded.msg_type(), "kernel_info_request");
    }

    #[test]
    fn a_message_signed_with_another_key_is_rejected() {
        let theirs = Signer::new("hmac-sha256", "other").unwrap();
        let ours = Signer::new("hmac-sha256", "secret").unwrap();
        assert!(matches!(Message::decode(request(&theirs), &ours), Err(WireError::BadSignature)));
    }

    #[test]
    fn a_tampered_content_frame_is_rejected() {
        let signer = Signer::new("hmac-sha256", "secret").unwrap();
        let mut frames = request(&signer);
        let last = frames.len() - 1;
        frames[last] = Bytes::from_static(b"{\"code\": \"evil\"}");
        assert!(matches!(Message::decode(frames, &signer), Err(WireError::BadSignature)));
    }

    #[test]
    fn a_replayed_message_is_rejected() {
        let signer = Signer::new("hmac-sha256", "secret").unwrap();
        let frames = request(&signer);
        assert!(Message::decode(frames.clone(), &signer).is_ok());
        assert!(matches!(Message::decode(frames, &signer), Err(WireError::Replayed)));
        assert!(Message::decode(request(&signer), &signer).is_ok(), "a new message is accepted");
    }

    #[test]
    fn a_signed_message_with_unreadable_content_keeps_its_header_for_the_reply() {
        let signer = Signer::new("hmac-sha256", "secret").unwrap();
        let mut frames = request(&signer);
        let content = frames.len() - 1;
        frames[content] = Bytes::from_static(b"{not json");
        let parts: Vec<&[u8]> = frames[frames.len() - 4..].iter().map(|f| f.as_ref()).collect();
        let signature = Bytes::from(signer.sign(&parts));
        let delimiter = frames.iter().position(|f| f.as_ref() == DELIMITER).unwrap();
        frames[delimiter + 1] = signature;
        match Message::decode(frames, &signer) {
            Err(WireError::BadJson { frame: "content", request, .. }) => {
                assert_eq!(request.msg_type(), "kernel_info_request")
            }
            other => panic!("expected BadJson for the content, got {other:?}"),
        }
    }

    #[test]
    fn a_header_without_msg_type_is_rejected() {
        let signer = Signer::new("hmac-sha256", "").unwrap();
        let frames = ["<IDS|MSG>", "", "{\"msg_id\": \"1\"}", "{}", "{}", "{}"]
            .map(|frame| Bytes::from(frame.as_bytes().to_vec()))
            .to_vec();
        assert!(matches!(Message::decode(frames, &signer), Err(WireError::BadHeader)));
    }

    #[test]
    fn a_reply_takes_its_type_from_its_content_and_names_its_parent() {
        use jupyter_protocol::{ExecutionState, Status};
        let signer = Signer::new("hmac-sha256", "secret").unwrap();
        let request = Message::decode(request(&signer), &signer).unwrap();
        let reply = Message::child_of(&request, Status { execution_state: ExecutionState::Busy });
        let back = Message::decode(reply.encode(&signer), &signer).unwrap();
        assert_eq!(back.msg_type(), "status");
        assert_eq!(back.content["execution_state"], "busy");
        assert_eq!(back.session(), "s1");
        assert_eq!(back.parent_header.unwrap().msg_id, request.header.msg_id);
        assert_eq!(back.header.date, reply.header.date, "the date keeps its microseconds");
    }

    #[test]
    fn a_message_without_parent_sends_an_empty_parent_header() {
        use jupyter_protocol::{ExecutionState, Status};
        let signer = Signer::new("hmac-sha256", "").unwrap();
        let frames =
            Message::orphan("s1", Status { execution_state: ExecutionState::Starting }).encode(&signer);
        let delimiter = frames.iter().position(|f| f.as_ref() == DELIMITER).unwrap();
        assert_eq!(frames[delimiter + 3].as_ref(), b"{}");
    }

    #[test]
    fn frames_without_delimiter_are_rejected() {
        let signer = Signer::new("hmac-sha256", "").unwrap();
        let frames = vec![Bytes::from_static(b"x")];
        assert!(matches!(Message::decode(frames, &signer), Err(WireError::NoDelimiter(1))));
    }
}
