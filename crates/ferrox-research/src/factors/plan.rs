//! Lowering syntax trees into one graph shared by every requested expression.
//!
//! Nodes are hash-consed: a node is identified by its operator, parameters and
//! input node ids, so `Ref($close, 1)` written in twenty Alpha158 features is
//! one node computed once. Node ids are in creation order, which is a
//! topological order (inputs before users).

use std::collections::HashMap;

use super::parser::{parse, Ast, BinOp, UnOp};
use super::FactorError;

/// A rolling operator over one input and a window of `N` rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Roll {
    /// Mean of the non-NaN values.
    Mean,
    /// Sum of the non-NaN values.
    Sum,
    /// Sample standard deviation (ddof 1).
    Std,
    /// Sample variance (ddof 1).
    Var,
    /// Largest non-NaN value.
    Max,
    /// Smallest non-NaN value.
    Min,
    /// Median.
    Med,
    /// Mean absolute deviation from the window mean.
    Mad,
    /// Number of non-NaN values.
    Count,
    /// Least-squares slope against the row position.
    Slope,
    /// R² of that regression.
    Rsquare,
    /// Residual of the current row from that regression.
    Resi,
    /// Percentile rank of the current value in the window.
    Rank,
    /// 1-based position of the maximum, counted from the oldest row.
    IdxMax,
    /// 1-based position of the minimum, counted from the oldest row.
    IdxMin,
    /// Qlib's linearly weighted mean.
    Wma,
}

/// One node's operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// Panel column `i`.
    Field(usize),
    /// A constant.
    Const(f64),
    /// `-x`
    Neg,
    /// `|x|`
    Abs,
    /// Natural logarithm.
    Log,
    /// -1, 0 or 1.
    Sign,
    /// Logical not (1 when the input is 0).
    Not,
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a ** b`
    Power,
    /// Element-wise maximum (NaN if either is NaN).
    Greater,
    /// Element-wise minimum (NaN if either is NaN).
    Less,
    /// `a > b` as 1/0.
    Gt,
    /// `a >= b` as 1/0.
    Ge,
    /// `a < b` as 1/0.
    Lt,
    /// `a <= b` as 1/0.
    Le,
    /// `a == b` as 1/0.
    Eq,
    /// `a != b` as 1/0.
    Ne,
    /// Both non-zero, as 1/0.
    And,
    /// Either non-zero, as 1/0.
    Or,
    /// `If(c, a, b)`: `a` where `c` is non-zero, else `b`.
    If,
    /// The value `n` rows earlier (negative: later).
    Ref(i64),
    /// `x - Ref(x, n)`.
    Delta(i64),
    /// A rolling statistic over `n` rows.
    Rolling(Roll, usize),
    /// Rolling quantile over `n` rows at `q` (linear interpolation).
    Quantile(usize, f64),
    /// Exponential moving average with smoothing `alpha` (pandas `ewm`, adjust=True).
    Ema(f64),
    /// Rolling correlation of two inputs over `n` rows.
    Corr(usize),
    /// Rolling covariance of two inputs over `n` rows.
    Cov(usize),
    /// Percentile rank across instruments at each timestamp.
    CsRank,
    /// `(x - mean) / std` across instruments at each timestamp.
    CsZScore,
    /// `x - mean` across instruments at each timestamp.
    CsDemean,
    /// `x - mean` within the group given by the second input, per timestamp.
    CsNeutralize,
    /// `x` clipped to its `q` and `1 - q` quantiles across instruments.
    CsWinsorize(f64),
}

impl Op {
    /// Whether the node needs every instrument at a timestamp.
    pub fn is_cross_sectional(&self) -> bool {
        matches!(
            self,
            Op::CsRank | Op::CsZScore | Op::CsDemean | Op::CsNeutralize | Op::CsWinsorize(_)
        )
    }
}

/// A node of the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What it computes.
    pub op: Op,
    /// Input node ids.
    pub inputs: Vec<usize>,
    /// Evaluation phase: the number of cross-sectional operators on the
    /// longest path from a field to this node.
    pub level: usize,
}

/// The deduplicated graph of a set of expressions.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
    /// The node computing each requested expression, in request order.
    pub outputs: Vec<usize>,
    /// Nodes the expressions would need without sharing (for reporting).
    pub tree_nodes: usize,
    index: HashMap<String, usize>,
    dedup: bool,
}

/// The operator names the language knows, for error messages and docs.
pub const OPERATORS: &[&str] = &[
    "Abs",
    "Log",
    "Sign",
    "Not",
    "Power",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Greater",
    "Less",
    "Gt",
    "Ge",
    "Lt",
    "Le",
    "Eq",
    "Ne",
    "And",
    "Or",
    "If",
    "Ref",
    "Delta",
    "Mean",
    "Sum",
    "Std",
    "Var",
    "Max",
    "Min",
    "Med",
    "Mad",
    "Count",
    "Slope",
    "Rsquare",
    "Resi",
    "Rank",
    "IdxMax",
    "IdxMin",
    "WMA",
    "EMA",
    "Quantile",
    "Corr",
    "Cov",
    "CSRank",
    "CSZScore",
    "CSDemean",
    "CSNeutralize",
    "CSWinsorize",
];

impl Plan {
    /// Lowers `expressions` against the panel's `fields`, sharing common
    /// sub-expressions when `dedup` (off only to test that sharing is neutral).
    pub fn build(expressions: &[&str], fields: &[&str], dedup: bool) -> Result<Plan, FactorError> {
        let mut plan = Plan {
            dedup,
            ..Plan::default()
        };
        for text in expressions {
            let ast = parse(text)?;
            let mut cx = Lower {
                plan: &mut plan,
                text,
                fields,
            };
            let id = cx.lower(&ast)?;
            plan.outputs.push(id);
        }
        Ok(plan)
    }

    /// The `$fields` every expression refers to, each with the expression
    /// index and character position of its first use.
    pub fn referenced_fields(
        expressions: &[&str],
    ) -> Result<Vec<(String, usize, usize)>, FactorError> {
        fn walk(ast: &Ast, k: usize, out: &mut Vec<(String, usize, usize)>) {
            match ast {
                Ast::Field { name, pos } => {
                    if !out.iter().any(|(n, _, _)| n == name) {
                        out.push((name.clone(), k, *pos));
                    }
                }
                Ast::Num { .. } => {}
                Ast::Unary { arg, .. } => walk(arg, k, out),
                Ast::Binary { lhs, rhs, .. } => {
                    walk(lhs, k, out);
                    walk(rhs, k, out);
                }
                Ast::Call { args, .. } => args.iter().for_each(|a| walk(a, k, out)),
            }
        }
        let mut out = Vec::new();
        for (k, text) in expressions.iter().enumerate() {
            walk(&parse(text)?, k, &mut out);
        }
        Ok(out)
    }

    fn add(&mut self, op: Op, inputs: Vec<usize>) -> usize {
        self.tree_nodes += 1;
        let key = format!("{op:?}{inputs:?}");
        if self.dedup {
            if let Some(&id) = self.index.get(&key) {
                return id;
            }
        }
        let child_level = inputs
            .iter()
            .map(|&i| self.nodes[i].level)
            .max()
            .unwrap_or(0);
        let level = child_level + usize::from(op.is_cross_sectional());
        let id = self.nodes.len();
        self.nodes.push(Node { op, inputs, level });
        self.index.insert(key, id);
        id
    }
}

struct Lower<'a> {
    plan: &'a mut Plan,
    text: &'a str,
    fields: &'a [&'a str],
}

impl Lower<'_> {
    fn invalid(&self, pos: usize, message: String) -> FactorError {
        FactorError::Invalid {
            message,
            pos,
            text: self.text.to_string(),
        }
    }

    fn lower(&mut self, ast: &Ast) -> Result<usize, FactorError> {
        match ast {
            Ast::Num { value, .. } => Ok(self.plan.add(Op::Const(*value), vec![])),
            Ast::Field { name, pos } => match self.fields.iter().position(|f| f == name) {
                Some(i) => Ok(self.plan.add(Op::Field(i), vec![])),
                None => Err(FactorError::UnknownField {
                    name: name.clone(),
                    pos: *pos,
                    text: self.text.to_string(),
                    available: self
                        .fields
                        .iter()
                        .map(|f| format!("${f}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            },
            Ast::Unary { op, arg, .. } => {
                let a = self.lower(arg)?;
                let op = match op {
                    UnOp::Neg => Op::Neg,
                    UnOp::Not => Op::Not,
                };
                Ok(self.plan.add(op, vec![a]))
            }
            Ast::Binary { op, lhs, rhs, .. } => {
                let (l, r) = (self.lower(lhs)?, self.lower(rhs)?);
                let op = match op {
                    BinOp::Add => Op::Add,
                    BinOp::Sub => Op::Sub,
                    BinOp::Mul => Op::Mul,
                    BinOp::Div => Op::Div,
                    BinOp::Gt => Op::Gt,
                    BinOp::Ge => Op::Ge,
                    BinOp::Lt => Op::Lt,
                    BinOp::Le => Op::Le,
                    BinOp::Eq => Op::Eq,
                    BinOp::Ne => Op::Ne,
                    BinOp::And => Op::And,
                    BinOp::Or => Op::Or,
                };
                Ok(self.plan.add(op, vec![l, r]))
            }
            Ast::Call { name, args, pos } => self.call(name, args, *pos),
        }
    }

    /// A numeric literal argument (`Mean($x, 5)`'s 5).
    fn number(&self, op: &str, what: &str, arg: &Ast) -> Result<f64, FactorError> {
        match arg {
            Ast::Num { value, .. } => Ok(*value),
            other => Err(self.invalid(other.pos(), format!("{op}: expected a number for {what}"))),
        }
    }

    fn window(&self, op: &str, arg: &Ast) -> Result<usize, FactorError> {
        let v = self.number(op, "the window", arg)?;
        if v >= 1.0 && v.fract() == 0.0 && v <= 1e9 {
            Ok(v as usize)
        } else {
            Err(self.invalid(
                arg.pos(),
                format!("{op}: expected a whole window of at least 1 row, got {v}"),
            ))
        }
    }

    fn shift(&self, op: &str, arg: &Ast) -> Result<i64, FactorError> {
        let v = self.number(op, "the shift", arg)?;
        if v.fract() == 0.0 && v.abs() <= 1e9 {
            Ok(v as i64)
        } else {
            Err(self.invalid(
                arg.pos(),
                format!("{op}: expected a whole number of rows, got {v}"),
            ))
        }
    }

    fn call(&mut self, name: &str, args: &[Ast], pos: usize) -> Result<usize, FactorError> {
        let arity = |n: usize, sig: &str| -> Result<(), FactorError> {
            if args.len() == n {
                Ok(())
            } else {
                Err(FactorError::Invalid {
                    message: format!("{name} expects {n} argument(s) ({sig}), got {}", args.len()),
                    pos,
                    text: self.text.to_string(),
                })
            }
        };
        let roll = match name {
            "Mean" => Some(Roll::Mean),
            "Sum" => Some(Roll::Sum),
            "Std" => Some(Roll::Std),
            "Var" => Some(Roll::Var),
            "Max" => Some(Roll::Max),
            "Min" => Some(Roll::Min),
            "Med" => Some(Roll::Med),
            "Mad" => Some(Roll::Mad),
            "Count" => Some(Roll::Count),
            "Slope" => Some(Roll::Slope),
            "Rsquare" => Some(Roll::Rsquare),
            "Resi" => Some(Roll::Resi),
            "Rank" => Some(Roll::Rank),
            "IdxMax" => Some(Roll::IdxMax),
            "IdxMin" => Some(Roll::IdxMin),
            "WMA" => Some(Roll::Wma),
            _ => None,
        };
        if let Some(kind) = roll {
            arity(2, "expression, window")?;
            let n = self.window(name, &args[1])?;
            let x = self.lower(&args[0])?;
            return Ok(self.plan.add(Op::Rolling(kind, n), vec![x]));
        }
        let unary = match name {
            "Abs" => Some(Op::Abs),
            "Log" => Some(Op::Log),
            "Sign" => Some(Op::Sign),
            "Not" => Some(Op::Not),
            "CSRank" => Some(Op::CsRank),
            "CSZScore" => Some(Op::CsZScore),
            "CSDemean" => Some(Op::CsDemean),
            _ => None,
        };
        if let Some(op) = unary {
            arity(1, "expression")?;
            let x = self.lower(&args[0])?;
            return Ok(self.plan.add(op, vec![x]));
        }
        let binary = match name {
            "Add" => Some(Op::Add),
            "Sub" => Some(Op::Sub),
            "Mul" => Some(Op::Mul),
            "Div" => Some(Op::Div),
            "Power" => Some(Op::Power),
            "Greater" => Some(Op::Greater),
            "Less" => Some(Op::Less),
            "Gt" => Some(Op::Gt),
            "Ge" => Some(Op::Ge),
            "Lt" => Some(Op::Lt),
            "Le" => Some(Op::Le),
            "Eq" => Some(Op::Eq),
            "Ne" => Some(Op::Ne),
            "And" => Some(Op::And),
            "Or" => Some(Op::Or),
            "CSNeutralize" => Some(Op::CsNeutralize),
            _ => None,
        };
        if let Some(op) = binary {
            arity(2, "left, right")?;
            let (l, r) = (self.lower(&args[0])?, self.lower(&args[1])?);
            return Ok(self.plan.add(op, vec![l, r]));
        }
        match name {
            "If" => {
                arity(3, "condition, then, else")?;
                let c = self.lower(&args[0])?;
                let a = self.lower(&args[1])?;
                let b = self.lower(&args[2])?;
                Ok(self.plan.add(Op::If, vec![c, a, b]))
            }
            "Ref" | "Delta" => {
                arity(2, "expression, rows")?;
                let n = self.shift(name, &args[1])?;
                let x = self.lower(&args[0])?;
                let op = if name == "Ref" {
                    Op::Ref(n)
                } else {
                    Op::Delta(n)
                };
                Ok(self.plan.add(op, vec![x]))
            }
            "Quantile" => {
                arity(3, "expression, window, q")?;
                let n = self.window(name, &args[1])?;
                let q = self.number(name, "q", &args[2])?;
                if !(0.0..=1.0).contains(&q) {
                    return Err(self.invalid(
                        args[2].pos(),
                        format!("Quantile: q must be in [0, 1], got {q}"),
                    ));
                }
                let x = self.lower(&args[0])?;
                Ok(self.plan.add(Op::Quantile(n, q), vec![x]))
            }
            "EMA" => {
                arity(2, "expression, span or alpha")?;
                let n = self.number(name, "the span", &args[1])?;
                // Qlib: a whole N >= 1 is a span (alpha = 2 / (N + 1)); 0 < N < 1 is alpha itself.
                let alpha = if n > 0.0 && n < 1.0 {
                    n
                } else if n >= 1.0 && n.fract() == 0.0 {
                    2.0 / (n + 1.0)
                } else {
                    return Err(self.invalid(
                        args[1].pos(),
                        format!("EMA: expected a whole span >= 1 or an alpha in (0, 1), got {n}"),
                    ));
                };
                let x = self.lower(&args[0])?;
                Ok(self.plan.add(Op::Ema(alpha), vec![x]))
            }
            "Corr" | "Cov" => {
                arity(3, "left, right, window")?;
                let n = self.window(name, &args[2])?;
                let (l, r) = (self.lower(&args[0])?, self.lower(&args[1])?);
                let op = if name == "Corr" {
                    Op::Corr(n)
                } else {
                    Op::Cov(n)
                };
                Ok(self.plan.add(op, vec![l, r]))
            }
            "CSWinsorize" => {
                arity(2, "expression, q")?;
                let q = self.number(name, "q", &args[1])?;
                if !(0.0..0.5).contains(&q) {
                    return Err(self.invalid(
                        args[1].pos(),
                        format!("CSWinsorize: q must be in [0, 0.5), got {q}"),
                    ));
                }
                let x = self.lower(&args[0])?;
                Ok(self.plan.add(Op::CsWinsorize(q), vec![x]))
            }
            _ => Err(self.invalid(
                pos,
                format!(
                    "unknown operator {name:?} (known: {})",
                    OPERATORS.join(", ")
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_sub_expressions_are_one_node() {
        let p = Plan::build(
            &[
                "Mean($close, 5) / $close",
                "Std($close, 5) / $close",
                "Mean($close, 5)",
            ],
            &["close"],
            true,
        )
        .unwrap();
        // $close, Mean, Div, Std, Div
        assert_eq!(p.nodes.len(), 5);
        assert_eq!(p.outputs[2], 1);
    }

    #[test]
    fn unknown_field_lists_the_available_fields() {
        let e = Plan::build(&["$clse + 1"], &["open", "close"], true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field $clse at position 0"), "{e}");
        assert!(e.contains("available fields: $open, $close"), "{e}");
    }

    #[test]
    fn windows_must_be_whole_literals() {
        let e = Plan::build(&["Mean($close, 2.5)"], &["close"], true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("window"), "{e}");
    }

    #[test]
    fn cross_sectional_ops_raise_the_level() {
        let p = Plan::build(&["Mean(CSRank($close), 5)"], &["close"], true).unwrap();
        assert_eq!(p.nodes.last().map(|n| n.level), Some(1));
    }
}
