//! Factor expression text -> syntax tree.
//!
//! The grammar is Qlib's expression language with conventional precedence
//! (lowest first): `|`, `&`, comparisons (`> >= < <= == !=`), `+ -`, `* /`,
//! unary `- + ~`, then numbers, `$field`, calls `Name(arg, ...)` and
//! parentheses. Qlib evaluates its strings with Python, where `&` and `|` bind
//! tighter than comparisons; here `a > b & c > d` means `(a > b) & (c > d)`.

use super::FactorError;

/// A binary operator written infix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&`
    And,
    /// `|`
    Or,
}

/// A unary operator written prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `~x` (logical not)
    Not,
}

/// A parsed expression; `pos` is the character position of the node's first
/// character in the source text.
#[derive(Clone, Debug, PartialEq)]
pub enum Ast {
    /// A numeric literal.
    Num {
        /// Its value.
        value: f64,
        /// Where it starts.
        pos: usize,
    },
    /// `$name`: a panel column.
    Field {
        /// The column name without `$`.
        name: String,
        /// Where the `$` is.
        pos: usize,
    },
    /// A prefix operator.
    Unary {
        /// Which.
        op: UnOp,
        /// Its operand.
        arg: Box<Ast>,
        /// Where the operator is.
        pos: usize,
    },
    /// An infix operator.
    Binary {
        /// Which.
        op: BinOp,
        /// Left operand.
        lhs: Box<Ast>,
        /// Right operand.
        rhs: Box<Ast>,
        /// Where the operator is.
        pos: usize,
    },
    /// `Name(args)`.
    Call {
        /// The operator name as written.
        name: String,
        /// The arguments.
        args: Vec<Ast>,
        /// Where the name starts.
        pos: usize,
    },
}

impl Ast {
    /// Character position of the node in its source text.
    pub fn pos(&self) -> usize {
        match self {
            Ast::Num { pos, .. }
            | Ast::Field { pos, .. }
            | Ast::Unary { pos, .. }
            | Ast::Binary { pos, .. }
            | Ast::Call { pos, .. } => *pos,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Field(String),
    Ident(String),
    LParen,
    RParen,
    Comma,
    Op(&'static str),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Num(v) => format!("number {v}"),
            Tok::Field(f) => format!("${f}"),
            Tok::Ident(i) => format!("{i:?}"),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Op(o) => format!("'{o}'"),
            Tok::End => "end of input".into(),
        }
    }
}

struct Lexer<'a> {
    text: &'a str,
    chars: Vec<char>,
}

impl<'a> Lexer<'a> {
    fn tokens(text: &'a str) -> Result<Vec<(Tok, usize)>, FactorError> {
        let lx = Lexer {
            text,
            chars: text.chars().collect(),
        };
        lx.run()
    }

    fn err(&self, pos: usize, expected: &str, found: String) -> FactorError {
        FactorError::Parse {
            expected: expected.to_string(),
            pos,
            text: self.text.to_string(),
            found,
        }
    }

    fn run(&self) -> Result<Vec<(Tok, usize)>, FactorError> {
        let c = &self.chars;
        let mut out = Vec::new();
        let mut i = 0;
        while i < c.len() {
            let ch = c[i];
            if ch.is_whitespace() {
                i += 1;
                continue;
            }
            let start = i;
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            let tok = match ch {
                '(' => {
                    i += 1;
                    Tok::LParen
                }
                ')' => {
                    i += 1;
                    Tok::RParen
                }
                ',' => {
                    i += 1;
                    Tok::Comma
                }
                '$' => {
                    i += 1;
                    let s = i;
                    while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                        i += 1;
                    }
                    if s == i {
                        let found = c.get(i).map_or("end of input".into(), |x| format!("{x:?}"));
                        return Err(self.err(i, "a field name after '$'", found));
                    }
                    Tok::Field(c[s..i].iter().collect())
                }
                d if d.is_ascii_digit()
                    || (d == '.' && c.get(i + 1).is_some_and(|n| n.is_ascii_digit())) =>
                {
                    while i < c.len() && (c[i].is_ascii_digit() || c[i] == '.') {
                        i += 1;
                    }
                    if i < c.len() && (c[i] == 'e' || c[i] == 'E') {
                        let mut j = i + 1;
                        if j < c.len() && (c[j] == '+' || c[j] == '-') {
                            j += 1;
                        }
                        if j < c.len() && c[j].is_ascii_digit() {
                            i = j;
                            while i < c.len() && c[i].is_ascii_digit() {
                                i += 1;
                            }
                        }
                    }
                    let s: String = c[start..i].iter().collect();
                    let v: f64 = s
                        .parse()
                        .map_err(|_| self.err(start, "a number", format!("{s:?}")))?;
                    Tok::Num(v)
                }
                a if a.is_alphabetic() || a == '_' => {
                    while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                        i += 1;
                    }
                    Tok::Ident(c[start..i].iter().collect())
                }
                _ => {
                    let op: Option<(&'static str, usize)> = match two.as_str() {
                        ">=" => Some((">=", 2)),
                        "<=" => Some(("<=", 2)),
                        "==" => Some(("==", 2)),
                        "!=" => Some(("!=", 2)),
                        "&&" => Some(("&", 2)),
                        "||" => Some(("|", 2)),
                        _ => match ch {
                            '+' => Some(("+", 1)),
                            '-' => Some(("-", 1)),
                            '*' => Some(("*", 1)),
                            '/' => Some(("/", 1)),
                            '>' => Some((">", 1)),
                            '<' => Some(("<", 1)),
                            '&' => Some(("&", 1)),
                            '|' => Some(("|", 1)),
                            '~' => Some(("~", 1)),
                            _ => None,
                        },
                    };
                    match op {
                        Some((o, n)) => {
                            i += n;
                            Tok::Op(o)
                        }
                        None => {
                            return Err(self.err(
                                start,
                                "a number, $field, operator name, '(' or an operator",
                                format!("{ch:?}"),
                            ))
                        }
                    }
                }
            };
            out.push((tok, start));
        }
        out.push((Tok::End, c.len()));
        Ok(out)
    }
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<(Tok, usize)>,
    at: usize,
}

/// Parses one expression.
pub fn parse(text: &str) -> Result<Ast, FactorError> {
    let toks = Lexer::tokens(text)?;
    let mut p = Parser { text, toks, at: 0 };
    let ast = p.or()?;
    if p.peek() != &Tok::End {
        return Err(p.unexpected("an operator or end of input"));
    }
    Ok(ast)
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.at.min(self.toks.len() - 1)].0
    }

    fn pos(&self) -> usize {
        self.toks[self.at.min(self.toks.len() - 1)].1
    }

    fn bump(&mut self) -> (Tok, usize) {
        let t = self.toks[self.at.min(self.toks.len() - 1)].clone();
        if self.at < self.toks.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn unexpected(&self, expected: &str) -> FactorError {
        FactorError::Parse {
            expected: expected.to_string(),
            pos: self.pos(),
            text: self.text.to_string(),
            found: self.peek().describe(),
        }
    }

    fn binary_level(
        &mut self,
        ops: &[(&str, BinOp)],
        next: fn(&mut Self) -> Result<Ast, FactorError>,
    ) -> Result<Ast, FactorError> {
        let mut lhs = next(self)?;
        loop {
            let found = match self.peek() {
                Tok::Op(o) => ops.iter().find(|(s, _)| s == o).map(|(_, b)| *b),
                _ => None,
            };
            let Some(op) = found else { return Ok(lhs) };
            let (_, pos) = self.bump();
            let rhs = next(self)?;
            lhs = Ast::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                pos,
            };
        }
    }

    fn or(&mut self) -> Result<Ast, FactorError> {
        self.binary_level(&[("|", BinOp::Or)], Self::and)
    }

    fn and(&mut self) -> Result<Ast, FactorError> {
        self.binary_level(&[("&", BinOp::And)], Self::cmp)
    }

    fn cmp(&mut self) -> Result<Ast, FactorError> {
        self.binary_level(
            &[
                (">", BinOp::Gt),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                ("<=", BinOp::Le),
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
            ],
            Self::add,
        )
    }

    fn add(&mut self) -> Result<Ast, FactorError> {
        self.binary_level(&[("+", BinOp::Add), ("-", BinOp::Sub)], Self::mul)
    }

    fn mul(&mut self) -> Result<Ast, FactorError> {
        self.binary_level(&[("*", BinOp::Mul), ("/", BinOp::Div)], Self::unary)
    }

    fn unary(&mut self) -> Result<Ast, FactorError> {
        match self.peek() {
            Tok::Op("-") | Tok::Op("~") | Tok::Op("+") => {
                let (tok, pos) = self.bump();
                let arg = self.unary()?;
                match tok {
                    Tok::Op("+") => Ok(arg),
                    Tok::Op("-") => Ok(match arg {
                        // Fold `-5` into a literal so `Ref($close, -1)` reads as a number.
                        Ast::Num { value, .. } => Ast::Num { value: -value, pos },
                        arg => Ast::Unary {
                            op: UnOp::Neg,
                            arg: Box::new(arg),
                            pos,
                        },
                    }),
                    _ => Ok(Ast::Unary {
                        op: UnOp::Not,
                        arg: Box::new(arg),
                        pos,
                    }),
                }
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Ast, FactorError> {
        match self.peek().clone() {
            Tok::Num(value) => {
                let (_, pos) = self.bump();
                Ok(Ast::Num { value, pos })
            }
            Tok::Field(name) => {
                let (_, pos) = self.bump();
                Ok(Ast::Field { name, pos })
            }
            Tok::LParen => {
                self.bump();
                let inner = self.or()?;
                self.expect(Tok::RParen, "')'")?;
                Ok(inner)
            }
            Tok::Ident(name) => {
                let (_, pos) = self.bump();
                self.expect(Tok::LParen, "'(' after an operator name")?;
                let mut args = Vec::new();
                if self.peek() != &Tok::RParen {
                    loop {
                        args.push(self.or()?);
                        if self.peek() == &Tok::Comma {
                            self.bump();
                            continue;
                        }
                        break;
                    }
                }
                self.expect(Tok::RParen, "')'")?;
                Ok(Ast::Call { name, args, pos })
            }
            _ => Err(self.unexpected("a number, $field, operator call or '('")),
        }
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), FactorError> {
        if self.peek() == &tok {
            self.bump();
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclosed_call_names_the_position_and_expected_token() {
        let e = parse("Mean($close, 5").unwrap_err().to_string();
        assert!(
            e.starts_with("expected ')' at position 14 in \"Mean($close, 5\""),
            "{e}"
        );
    }

    #[test]
    fn precedence_is_conventional() {
        let a = parse("1 + 2 * 3 > 4 & $x < 5").unwrap();
        let Ast::Binary { op: BinOp::And, .. } = a else {
            panic!("{a:?}")
        };
    }

    #[test]
    fn scientific_literals_and_negative_numbers() {
        assert_eq!(
            parse("-1e-12").unwrap(),
            Ast::Num {
                value: -1e-12,
                pos: 0
            }
        );
    }

    #[test]
    fn trailing_garbage_is_refused() {
        let e = parse("$close $open").unwrap_err().to_string();
        assert!(e.contains("position 7"), "{e}");
    }
}
