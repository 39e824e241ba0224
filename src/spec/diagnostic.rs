//! Errors in expectation files, rendered like a compiler's: the file, line
//! and column, the offending line with a caret under the token, and a help
//! line that says what would work instead.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::yaml::Span;

/// The text of an expectation file, kept so that errors can quote it.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// One problem, with where it is and what to do about it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub file: Arc<SourceFile>,
    pub span: Option<Span>,
    pub message: String,
    pub help: Option<String>,
    /// Whether the line is quoted under the location (not when it may hold
    /// a secret).
    pub quote: bool,
}

impl Diagnostic {
    pub fn new(file: &Arc<SourceFile>, span: Option<Span>, message: impl Into<String>) -> Self {
        Self { file: Arc::clone(file), span, message: message.into(), help: None, quote: true }
    }

    /// The same problem, its line not quoted: it may hold a secret.
    #[must_use]
    pub fn unquoted(mut self) -> Self {
        self.quote = false;
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// `file:line:col`, the way editors and CI logs link to a position.
    pub fn location(&self) -> String {
        match self.span {
            Some(s) => format!("{}:{}:{}", self.file.path.display(), s.line, s.col),
            None => self.file.path.display().to_string(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        writeln!(f, "  --> {}", self.location())?;
        if let Some(span) = self.span.filter(|_| self.quote)
            && let Some(line) = self.file.text.lines().nth(span.line.saturating_sub(1) as usize)
            && !may_hold_secret(line)
        {
            let number = span.line.to_string();
            let pad = " ".repeat(number.len());
            let (shown, col) = window(line, span.col.saturating_sub(1) as usize);
            let visible = shown.chars().count().saturating_sub(col);
            let width = (span.len as usize).clamp(1, visible.clamp(1, 80));
            writeln!(f, "{pad} |")?;
            writeln!(f, "{number} | {shown}")?;
            writeln!(f, "{pad} | {}{}", " ".repeat(col), "^".repeat(width))?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

/// Whether a suite line may hold a credential: a key that names one
/// (`secret`, `token`, `password`, `access_key`, `key_id`, `credential`) or a
/// URL with `user:password@`. Such a line is never quoted in a message, by
/// whichever problem points at it.
fn may_hold_secret(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    let named = ["secret", "token", "password", "access_key", "key_id", "credential"].iter().any(|w| lower.contains(w));
    let userinfo = lower.split("://").skip(1).any(|rest| {
        let authority = rest.split(['/', ' ', '"', '\'', ',', '}']).next().unwrap_or("");
        authority.contains('@')
    });
    named || userinfo
}

/// At most 100 characters of a long line, around the 0-based column `col`;
/// returns the text to show and the caret's column in it.
fn window(line: &str, col: usize) -> (String, usize) {
    const WIDTH: usize = 100;
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= WIDTH {
        return (line.to_string(), col);
    }
    let start = col.saturating_sub(WIDTH / 2).min(chars.len().saturating_sub(WIDTH));
    let end = (start + WIDTH).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut caret = col - start;
    if start > 0 {
        shown.insert_str(0, "...");
        caret += 3;
    }
    if end < chars.len() {
        shown.push_str("...");
    }
    (shown, caret)
}

/// Every problem found in one pass over the suites.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Orders problems by file and position, as a reader goes through them.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            let pos = |d: &Diagnostic| d.span.map(|s| (s.line, s.col));
            a.file.path.cmp(&b.file.path).then_with(|| pos(a).cmp(&pos(b)))
        });
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        let n = self.0.len();
        if n > 1 {
            write!(f, "\n{n} problems found")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// The closest candidate to a misspelt name, if one is close enough to be a
/// plausible typo (normalised Damerau-Levenshtein similarity of at least 0.6).
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (c, strsim::normalized_damerau_levenshtein(&lower, &c.to_lowercase())))
        .filter(|(_, score)| *score >= 0.6)
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(c, _)| c)
}

/// A help line: "did you mean `x`?" or, failing that, the list of valid values.
pub fn did_you_mean(name: &str, valid: &[&str]) -> String {
    match nearest(name, valid.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("expected one of: {}", valid.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_a_compiler() {
        let file = Arc::new(SourceFile {
            path: "checks/loans.yaml".into(),
            text: "version: 1\nchecks:\n  - not_nul: loan_id\n".into(),
        });
        let d = Diagnostic::new(&file, Some(Span { line: 3, col: 5, len: 7 }), "unknown check kind `not_nul`")
            .with_help(Some("did you mean `not_null`?".into()));
        assert_eq!(
            d.to_string(),
            "error: unknown check kind `not_nul`\n  --> checks/loans.yaml:3:5\n  |\n3 |   - not_nul: loan_id\n  |     ^^^^^^^\n  = help: did you mean `not_null`?\n"
        );
    }

    #[test]
    fn suggests_only_plausible_names() {
        assert_eq!(nearest("amout", ["amount", "income"]), Some("amount"));
        assert_eq!(nearest("zzz", ["amount", "income"]), None);
    }
}
