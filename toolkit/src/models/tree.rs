//! Trees and recursive neural networks over them (seed D §3): leaves hold
//! tokens, internal nodes combine their children, the root's vector
//! represents the whole tree. The forward pass recurses from the root down
//! to the leaves and computes the vectors on the way back up; the backward
//! pass is burn's autodiff, the chain rule through the same recursion.
//!
//! Trees are written as s-expressions whose first atom is the node's label:
//! `(+ 1 (* 2 3))` (an arithmetic expression), `(3 (2 good) (2 movie))` (a
//! sentiment-treebank parse, labels 0–4).
//!
//! ```
//! use fireside::prelude::*;
//! let tree = Tree::parse("(+ 1 (* 2 3))").unwrap();
//! assert_eq!(tree.label(), "+");
//! assert_eq!(tree.leaves(), ["1", "2", "3"]);
//! let net = RecursiveNetConfig::new(8, 1).build(&["1", "2", "3"], &device());
//! assert_eq!(net.forward(&tree).dims(), [1, 1]);
//! ```

use crate::activations::Activation;
use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};
use std::collections::HashMap;

/// A tree could not be read from its s-expression.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::tree::TreeError;
/// assert!(matches!(Tree::parse("(+ 1 2"), Err(TreeError::Unclosed { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TreeError {
    /// Nothing to parse.
    #[error("the text holds no tree; write a token such as `good` or a node such as `(+ 1 2)`")]
    Empty,
    /// A `(` without its `)`.
    #[error("the `(` at byte {position} is never closed; add a `)`")]
    Unclosed { position: usize },
    /// A `)` without its `(`.
    #[error("the `)` at byte {position} closes nothing; remove it or add a `(` before it")]
    UnexpectedClose { position: usize },
    /// A node without children, such as `(x)` or `()`.
    #[error(
        "the node at byte {position} has no children; a node is `(label child …)`, a leaf is a bare token"
    )]
    NoChildren { position: usize },
    /// More text after the tree.
    #[error("text after the tree at byte {position}; a string holds one tree (wrap several in a node)")]
    TrailingText { position: usize },
}

/// A tree: a leaf holds a token, a node a label and one or more children.
///
/// ```
/// use fireside::prelude::*;
/// let tree = Tree::node("+", vec![Tree::leaf("1"), Tree::leaf("2")]);
/// assert_eq!(tree.to_string(), "(+ 1 2)");
/// assert_eq!(tree, "(+ 1 2)".parse().unwrap());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tree {
    /// A token (a word, a number).
    Leaf(String),
    /// An internal node (or the root): a label and its children, left to right.
    Node { label: String, children: Vec<Tree> },
}

#[derive(Debug, Clone, PartialEq)]
enum Token<'a> {
    Open,
    Close,
    Atom(&'a str),
}

fn tokenize(text: &str) -> Vec<(usize, Token<'_>)> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if let Some(s) = start.take() {
                tokens.push((s, Token::Atom(&text[s..i])));
            }
            if c == '(' {
                tokens.push((i, Token::Open));
            } else if c == ')' {
                tokens.push((i, Token::Close));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        tokens.push((s, Token::Atom(&text[s..])));
    }
    tokens
}

impl Tree {
    /// Reads a tree from an s-expression: a bare token is a leaf,
    /// `(label child …)` a node. A node whose first element is itself a
    /// node, as in `((a b) c)`, has the empty label.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let tree = Tree::parse("(3 (2 good) (2 movie))").unwrap();
    /// assert_eq!((tree.label(), tree.children().len(), tree.size()), ("3", 2, 5));
    /// ```
    pub fn parse(text: &str) -> Result<Tree, TreeError> {
        let tokens = tokenize(text);
        let (tree, next) = Self::parse_at(&tokens, 0)?;
        match tokens.get(next) {
            Some((position, Token::Close)) => Err(TreeError::UnexpectedClose { position: *position }),
            Some((position, _)) => Err(TreeError::TrailingText { position: *position }),
            None => Ok(tree),
        }
    }

    fn parse_at(tokens: &[(usize, Token<'_>)], at: usize) -> Result<(Tree, usize), TreeError> {
        match tokens.get(at) {
            None => Err(TreeError::Empty),
            Some((position, Token::Close)) => Err(TreeError::UnexpectedClose { position: *position }),
            Some((_, Token::Atom(atom))) => Ok((Tree::Leaf((*atom).to_owned()), at + 1)),
            Some((open, Token::Open)) => {
                let mut next = at + 1;
                let label = match tokens.get(next) {
                    Some((_, Token::Atom(atom))) => {
                        next += 1;
                        (*atom).to_owned()
                    }
                    _ => String::new(),
                };
                let mut children = Vec::new();
                loop {
                    match tokens.get(next) {
                        None => return Err(TreeError::Unclosed { position: *open }),
                        Some((_, Token::Close)) => break,
                        Some(_) => {
                            let (child, after) = Self::parse_at(tokens, next)?;
                            children.push(child);
                            next = after;
                        }
                    }
                }
                if children.is_empty() {
                    return Err(TreeError::NoChildren { position: *open });
                }
                Ok((Tree::Node { label, children }, next + 1))
            }
        }
    }

    /// A leaf holding `token`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(Tree::leaf("good").is_leaf());
    /// ```
    pub fn leaf(token: impl Into<String>) -> Tree {
        Tree::Leaf(token.into())
    }

    /// A node with a label and children.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let tree = Tree::node("*", vec![Tree::leaf("2"), Tree::leaf("3")]);
    /// assert_eq!(tree.children().len(), 2);
    /// ```
    pub fn node(label: impl Into<String>, children: Vec<Tree>) -> Tree {
        Tree::Node { label: label.into(), children }
    }

    /// Whether this is a leaf.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(!Tree::parse("(+ 1 2)").unwrap().is_leaf());
    /// ```
    pub fn is_leaf(&self) -> bool {
        matches!(self, Tree::Leaf(_))
    }

    /// A leaf's token, a node's label.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Tree::parse("(4 (3 fun))").unwrap().label(), "4");
    /// ```
    pub fn label(&self) -> &str {
        match self {
            Tree::Leaf(token) => token,
            Tree::Node { label, .. } => label,
        }
    }

    /// The children, left to right (none for a leaf).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(Tree::leaf("x").children().is_empty());
    /// ```
    pub fn children(&self) -> &[Tree] {
        match self {
            Tree::Leaf(_) => &[],
            Tree::Node { children, .. } => children,
        }
    }

    /// The leaves' tokens, left to right (the sentence of a parse tree).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Tree::parse("(1 (2 not) (3 good))").unwrap().leaves(), ["not", "good"]);
    /// ```
    pub fn leaves(&self) -> Vec<&str> {
        match self {
            Tree::Leaf(token) => vec![token.as_str()],
            Tree::Node { children, .. } => children.iter().flat_map(Tree::leaves).collect(),
        }
    }

    /// The number of nodes and leaves.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Tree::parse("(+ 1 (* 2 3))").unwrap().size(), 5);
    /// ```
    pub fn size(&self) -> usize {
        1 + self.children().iter().map(Tree::size).sum::<usize>()
    }

    /// The number of edges on the longest path from the root to a leaf.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Tree::parse("(+ 1 (* 2 3))").unwrap().depth(), 2);
    /// ```
    pub fn depth(&self) -> usize {
        self.children().iter().map(|c| c.depth() + 1).max().unwrap_or(0)
    }

    /// The sorted distinct leaf tokens of some trees: a vocabulary for
    /// [`RecursiveNetConfig::build`].
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let trees = [Tree::parse("(+ 1 2)").unwrap(), Tree::parse("(* 2 3)").unwrap()];
    /// assert_eq!(Tree::vocabulary(&trees), ["1", "2", "3"]);
    /// ```
    pub fn vocabulary<'a>(trees: impl IntoIterator<Item = &'a Tree>) -> Vec<String> {
        let mut tokens: Vec<String> = trees.into_iter().flat_map(|t| t.leaves()).map(str::to_owned).collect();
        tokens.sort();
        tokens.dedup();
        tokens
    }
}

impl std::str::FromStr for Tree {
    type Err = TreeError;

    fn from_str(text: &str) -> Result<Tree, TreeError> {
        Tree::parse(text)
    }
}

impl std::fmt::Display for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tree::Leaf(token) => f.write_str(token),
            Tree::Node { label, children } => {
                write!(f, "({label}")?;
                for child in children {
                    write!(f, " {child}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// The size of a [`RecursiveNet`]: `hidden` units per node vector,
/// `outputs` numbers from the root; tanh composition by default.
///
/// ```
/// use fireside::prelude::*;
/// let net = RecursiveNetConfig::new(16, 2).activation(Activation::Sigmoid).build(&["good", "bad"], &device());
/// assert_eq!(net.hidden(), 16);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RecursiveNetConfig {
    /// Length of every node's vector.
    pub hidden: usize,
    /// Length of the output computed from the root's vector.
    pub outputs: usize,
    /// φ in h = φ(W [left; right] + b) (default tanh; seed D writes the sigmoid).
    pub activation: Activation,
}

impl RecursiveNetConfig {
    /// `hidden` units per node, `outputs` at the root, tanh.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let config = RecursiveNetConfig::new(32, 5);   // five sentiment classes
    /// assert_eq!(config.activation, Activation::Tanh);
    /// ```
    pub fn new(hidden: usize, outputs: usize) -> Self {
        RecursiveNetConfig { hidden, outputs, activation: Activation::Tanh }
    }

    /// The composition's activation φ.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let config = RecursiveNetConfig::new(8, 1).activation(Activation::Relu);
    /// assert_eq!(config.activation, Activation::Relu);
    /// ```
    pub fn activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Creates the weights for a vocabulary of leaf tokens (index 0 is kept
    /// for tokens outside it, `<unk>`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let net = RecursiveNetConfig::new(4, 1).build(&["a", "b"], &device());
    /// assert_eq!(net.vocabulary(), ["<unk>", "a", "b"]);
    /// ```
    pub fn build(&self, vocabulary: &[impl AsRef<str>], device: &Device) -> RecursiveNet {
        let mut tokens = vec![UNKNOWN.to_owned()];
        tokens.extend(vocabulary.iter().map(|t| t.as_ref().to_owned()).filter(|t| t != UNKNOWN));
        let index = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i)).collect();
        // Leaf vectors of about the size of a composed tanh vector, not burn's N(0, 1).
        let scale = 1.0 / (self.hidden as f64).sqrt();
        RecursiveNet {
            embedding: EmbeddingConfig::new(tokens.len(), self.hidden)
                .with_initializer(Initializer::Normal { mean: 0.0, std: scale })
                .init(device),
            compose: LinearConfig::new(2 * self.hidden, self.hidden).init(device),
            output: LinearConfig::new(self.hidden, self.outputs).init(device),
            activation: self.activation,
            tokens,
            index,
        }
    }
}

const UNKNOWN: &str = "<unk>";

/// A recursive neural network (Socher et al.): a leaf's vector is its
/// token's embedding, a node's vector is h = φ(W [h_left; h_right] + b)
/// (children beyond two are folded in from the left, a single child passes
/// its vector up), and the output is V h_root + c.
///
/// In seed D §3's notation, `compose` is W ∈ R^{n_h × 2n_h} with bias B and
/// `output` maps the root's vector to the prediction.
///
/// ```
/// use fireside::prelude::*;
/// let trees = [Tree::parse("(+ 1 2)").unwrap(), Tree::parse("(+ 2 (+ 1 1))").unwrap()];
/// let net = RecursiveNetConfig::new(8, 1).build(&Tree::vocabulary(&trees), &device());
/// let y = net.forward_batch(&trees);
/// assert_eq!(y.dims(), [2, 1]);
/// ```
#[derive(Module, Debug)]
pub struct RecursiveNet {
    /// One vector per vocabulary token, (vocabulary, hidden).
    pub embedding: Embedding,
    /// W and b: [left; right] (2·hidden) → hidden.
    pub compose: Linear,
    /// V and c: the root's vector → outputs.
    pub output: Linear,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    tokens: Vec<String>,
    #[module(skip)]
    index: HashMap<String, usize>,
}

impl RecursiveNet {
    /// The tokens the leaves are looked up in; index 0 is `<unk>`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let net = RecursiveNetConfig::new(4, 1).build(&["x"], &device());
    /// assert_eq!(net.vocabulary().len(), 2);
    /// ```
    pub fn vocabulary(&self) -> &[String] {
        &self.tokens
    }

    /// The length of each node's vector.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(RecursiveNetConfig::new(12, 1).build(&["x"], &device()).hidden(), 12);
    /// ```
    pub fn hidden(&self) -> usize {
        self.compose.weight.dims()[1]
    }

    /// The index of a leaf token (0 for one outside the vocabulary).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let net = RecursiveNetConfig::new(4, 1).build(&["good", "bad"], &device());
    /// assert_eq!((net.token_index("bad"), net.token_index("meh")), (2, 0));
    /// ```
    pub fn token_index(&self, token: &str) -> usize {
        self.index.get(token).copied().unwrap_or(0)
    }

    /// The vector of a leaf: its row of the embedding, (1, hidden).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let net = RecursiveNetConfig::new(4, 1).build(&["good"], &device());
    /// assert_eq!(net.leaf_vector("good").dims(), [1, 4]);
    /// ```
    pub fn leaf_vector(&self, token: &str) -> Tensor<2> {
        let device = self.embedding.weight.device();
        let index = Tensor::<1, Int>::from_ints([self.token_index(token) as i32], &device);
        self.embedding.weight.val().select(0, index)
    }

    /// h = φ(W [left; right] + b), (1, hidden): one internal node.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let net = RecursiveNetConfig::new(4, 1).build(&["a", "b"], &device());
    /// let h = net.compose(net.leaf_vector("a"), net.leaf_vector("b"));
    /// assert!(h.values().iter().all(|v| v.abs() < 1.0));   // tanh
    /// ```
    pub fn compose(&self, left: Tensor<2>, right: Tensor<2>) -> Tensor<2> {
        self.activation.apply(self.compose.forward(Tensor::cat(vec![left, right], 1)))
    }

    /// The vector of a tree's root, (1, hidden), computed by recursion:
    /// the children's vectors first, then the node's.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let net = RecursiveNetConfig::new(4, 1).build(&["a", "b"], &device());
    /// let tree = Tree::parse("(_ a b)").unwrap();
    /// let by_hand = net.compose(net.leaf_vector("a"), net.leaf_vector("b"));
    /// assert_eq!(net.encode(&tree).values(), by_hand.values());
    /// ```
    pub fn encode(&self, tree: &Tree) -> Tensor<2> {
        match tree {
            Tree::Leaf(token) => self.leaf_vector(token),
            Tree::Node { children, .. } => {
                let mut vectors = children.iter().map(|child| self.encode(child));
                let first = vectors.next().expect("a node has at least one child (Tree::parse checks)");
                vectors.fold(first, |left, right| self.compose(left, right))
            }
        }
    }

    /// The output at the root, V h_root + c, (1, outputs): logits for a
    /// classification, a value for a regression.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let net = RecursiveNetConfig::new(4, 3).build(&["a", "b"], &device());
    /// assert_eq!(net.forward(&Tree::parse("(_ a (_ b a))").unwrap()).dims(), [1, 3]);
    /// ```
    pub fn forward(&self, tree: &Tree) -> Tensor<2> {
        self.output.forward(self.encode(tree))
    }

    /// The outputs of several trees, one row each, (n, outputs): each tree
    /// has its own shape, so the recursion runs per tree and the output layer once.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let trees = [Tree::parse("(_ a b)").unwrap(), Tree::leaf("a")];
    /// let net = RecursiveNetConfig::new(4, 2).build(&["a", "b"], &device());
    /// assert_eq!(net.forward_batch(&trees).dims(), [2, 2]);
    /// ```
    pub fn forward_batch(&self, trees: &[Tree]) -> Tensor<2> {
        let roots: Vec<Tensor<2>> = trees.iter().map(|tree| self.encode(tree)).collect();
        self.output.forward(Tensor::cat(roots, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn parsing_round_trips_and_reports_errors() {
        for text in ["(+ 1 (* 2 3))", "(3 (2 good) (2 movie))", "x", "( (a b) c)"] {
            let tree = Tree::parse(text).unwrap();
            assert_eq!(Tree::parse(&tree.to_string()).unwrap(), tree);
        }
        assert_eq!(Tree::parse("( (a b) c)").unwrap().label(), "");
        assert_eq!(Tree::parse(""), Err(TreeError::Empty));
        assert_eq!(Tree::parse("(+ 1 2))"), Err(TreeError::UnexpectedClose { position: 7 }));
        assert_eq!(Tree::parse("(x)"), Err(TreeError::NoChildren { position: 0 }));
        assert_eq!(Tree::parse("(+ 1 (2 3)"), Err(TreeError::Unclosed { position: 0 }));
        assert_eq!(Tree::parse("a b"), Err(TreeError::TrailingText { position: 2 }));
    }

    #[test]
    fn gradients_flow_through_the_recursion() {
        let device = device();
        let net = RecursiveNetConfig::new(4, 1).build(&["a", "b", "c"], &device);
        let tree = Tree::parse("(_ (_ a b) c)").unwrap();
        let loss = net.forward(&tree).square().sum();
        let grads = loss.backward();
        let embedding = net.embedding.weight.val().grad(&grads).expect("leaves get gradients").values();
        // Rows 1..=3 (a, b, c) are used, row 0 (<unk>) is not.
        assert!(embedding[..4].iter().all(|&g| g == 0.0));
        assert!(embedding[4..].iter().any(|&g| g != 0.0));
        assert!(net.compose.weight.val().grad(&grads).is_some());
    }

    #[test]
    fn a_recursive_net_learns_negation() {
        crate::device::seed(1);
        let device = device();
        let texts = [
            ("(_ good)", 1),
            ("(_ bad)", 0),
            ("(_ not good)", 0),
            ("(_ not bad)", 1),
            ("(_ very good)", 1),
            ("(_ very bad)", 0),
            ("(_ not (_ very good))", 0),
            ("(_ not (_ very bad))", 1),
        ];
        let trees: Vec<Tree> = texts.iter().map(|(t, _)| Tree::parse(t).unwrap()).collect();
        let labels: Vec<i64> = texts.iter().map(|(_, l)| *l).collect();
        let targets = Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [labels.len()]), &device);
        let mut net = RecursiveNetConfig::new(8, 2).build(&Tree::vocabulary(&trees), &device);
        let optimizer = Optimizer::adam().learning_rate(0.05);
        let mut state = optimizer.init();
        for _ in 0..150 {
            let loss = losses::sparse_categorical_cross_entropy_with_logits(
                net.forward_batch(&trees),
                targets.clone(),
            );
            let grads = burn::optim::GradientsParams::from_grads(loss.backward(), &net);
            net = state.step(optimizer.learning_rate, net, grads);
        }
        let predicted = net.forward_batch(&trees).argmax(1).values();
        assert_eq!(predicted, labels);
    }
}
