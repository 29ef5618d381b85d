//! The contract between an `action.yml`, the binary it runs, and the action's README.
//!
//! Composite actions get no `INPUT_*` variables from the runner (nektos/act sets them anyway, so
//! a local run hides the bug), so every input must be mapped by hand into the run step's `env:`.
//! This module reads an action folder and lists every way it breaks that contract; each tool's
//! tests call [`check_action_dir`] and assert the list is empty.

use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct ActionFile {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub inputs: IndexMap<String, InputSpec>,
    #[serde(default)]
    pub outputs: IndexMap<String, OutputSpec>,
    pub runs: Runs,
}

#[derive(Debug, Deserialize)]
pub struct InputSpec {
    pub description: Option<String>,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub default: Option<Scalar>,
}

/// YAML lets a default be written as a string, a boolean or a number; the runner passes all of
/// them to the step as strings.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(n) => write!(f, "{n}"),
            Scalar::Float(n) => write!(f, "{n}"),
            Scalar::String(s) => f.write_str(s),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct OutputSpec {
    pub description: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Runs {
    pub using: String,
    /// The script of a JavaScript action.
    pub main: Option<String>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// Node versions the runner offers to JavaScript actions.
const NODE_RUNTIMES: &[&str] = &["node20", "node24"];

#[derive(Debug, Deserialize)]
pub struct Step {
    pub id: Option<String>,
    pub name: Option<String>,
    pub run: Option<String>,
    pub uses: Option<String>,
    #[serde(default)]
    pub env: IndexMap<String, Scalar>,
}

/// What a tool's binary says about its inputs and outputs (`--action-contract`, written by
/// `gantry_toolkit::Tool::contract_json`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct BinaryContract {
    /// Every input, as the binary's input table declares it.
    pub inputs: IndexMap<String, BinaryInput>,
    pub outputs: Vec<String>,
}

/// One input as the binary declares it. `required` and `description` are absent from contracts
/// written by hand for fixtures; then they are not compared.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct BinaryInput {
    pub default: Option<String>,
    #[serde(default)]
    pub required: Option<bool>,
    #[serde(default)]
    pub description: Option<String>,
}

impl BinaryInput {
    /// An input with only a default (fixtures).
    pub fn with_default(default: Option<&str>) -> BinaryInput {
        BinaryInput {
            default: default.map(str::to_owned),
            ..BinaryInput::default()
        }
    }
}

/// One way an action breaks the contract. The text says what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: PathBuf,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// `INPUT_` + upper-cased name, spaces as `_`, hyphens kept: what the binary reads.
pub fn input_env_name(name: &str) -> String {
    format!("INPUT_{}", name.replace(' ', "_").to_uppercase())
}

/// Reads `action.yml` (or `action.yaml`) and `README.md` in `dir` and checks them against each
/// other and, when given, against the binary's own contract.
pub fn check_action_dir(dir: &Path, binary: Option<&BinaryContract>) -> Vec<Finding> {
    let action_path = ["action.yml", "action.yaml"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file());
    let Some(action_path) = action_path else {
        return vec![Finding {
            file: dir.to_path_buf(),
            message: "no action.yml in this folder".into(),
        }];
    };
    let text = match std::fs::read_to_string(&action_path) {
        Ok(t) => t,
        Err(e) => return vec![finding(&action_path, format!("cannot read: {e}"))],
    };
    let action: ActionFile = match serde_saphyr::from_str(&text) {
        Ok(a) => a,
        Err(e) => {
            return vec![finding(
                &action_path,
                format!("not a valid action file: {e}"),
            )];
        }
    };
    let mut findings = check_action(&action_path, &action);
    if let Some(main) = &action.runs.main
        && !dir.join(main).is_file()
    {
        findings.push(finding(
            &action_path,
            format!("runs.main is '{main}', which is not a file in the action folder"),
        ));
    }
    if let Some(binary) = binary {
        findings.extend(check_binary(&action_path, &action, binary));
    }
    let readme_path = dir.join("README.md");
    match std::fs::read_to_string(&readme_path) {
        Ok(readme) => findings.extend(check_readme(&readme_path, &action, &readme)),
        Err(_) => findings.push(finding(
            &readme_path,
            "missing: every action has a README with Inputs and Outputs tables".into(),
        )),
    }
    findings
}

/// Parses an `action.yml`; the error says what is wrong with it.
pub fn read_action_file(path: &Path) -> Result<ActionFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    serde_saphyr::from_str(&text).map_err(|e| format!("not a valid action file: {e}"))
}

fn finding(file: &Path, message: String) -> Finding {
    Finding {
        file: file.to_path_buf(),
        message,
    }
}

/// The action file alone. Composite: inputs mapped, no expressions in `run:`, outputs wired to
/// steps. JavaScript (a shim that runs the binary, for tools whose output names are dynamic):
/// the runner passes every input and exposes every output the binary writes, so only
/// descriptions are checked.
pub fn check_action(file: &Path, action: &ActionFile) -> Vec<Finding> {
    let mut out = Vec::new();
    let javascript = NODE_RUNTIMES.contains(&action.runs.using.as_str());
    if action.runs.using != "composite" && !javascript {
        out.push(finding(
            file,
            format!(
                "runs.using is '{}': gantry actions are composite (a step that installs the binary, a step that runs it), or {} for a tool with dynamic output names",
                action.runs.using,
                NODE_RUNTIMES.join("/")
            ),
        ));
    }
    if javascript {
        if action.runs.main.is_none() {
            out.push(finding(file, "a JavaScript action needs runs.main".into()));
        }
        for (kind, names) in [
            (
                "input",
                action
                    .inputs
                    .iter()
                    .map(|(n, s)| (n, s.description.as_deref()))
                    .collect::<Vec<_>>(),
            ),
            (
                "output",
                action
                    .outputs
                    .iter()
                    .map(|(n, s)| (n, s.description.as_deref()))
                    .collect(),
            ),
        ] {
            for (name, description) in names {
                if description.is_none_or(|d| d.trim().is_empty()) {
                    out.push(finding(file, format!("{kind} '{name}' has no description")));
                }
            }
        }
        for (name, spec) in &action.outputs {
            if spec.value.is_some() {
                out.push(finding(
                    file,
                    format!("output '{name}' has a value, which a JavaScript action's outputs cannot have"),
                ));
            }
        }
        return out;
    }
    for field in [("name", &action.name), ("description", &action.description)] {
        if field.1.as_deref().is_none_or(|v| v.trim().is_empty()) {
            out.push(finding(file, format!("'{}' is missing", field.0)));
        }
    }

    for (i, step) in action.runs.steps.iter().enumerate() {
        if let Some(run) = &step.run
            && run.contains("${{")
        {
            out.push(finding(
                file,
                format!(
                    "step {} ({}) has a ${{{{ }}}} expression inside run: (template injection); pass it through env: instead",
                    i + 1,
                    step_label(step)
                ),
            ));
        }
    }

    let run_steps: Vec<&Step> = action
        .runs
        .steps
        .iter()
        .filter(|s| s.run.is_some())
        .collect();
    for (name, spec) in &action.inputs {
        if spec
            .description
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
        {
            out.push(finding(file, format!("input '{name}' has no description")));
        }
        let var = input_env_name(name);
        let mapped = run_steps.iter().any(|s| {
            s.env
                .get(&var)
                .is_some_and(|v| is_expression_of(&v.to_string(), &format!("inputs.{name}")))
        });
        if !mapped {
            out.push(finding(
                file,
                format!(
                    "input '{name}' is not mapped into a run step's env: as {var}: ${{{{ inputs.{name} }}}} (composite actions get no INPUT_* variables from the runner)"
                ),
            ));
        }
    }
    for step in &run_steps {
        for (var, value) in &step.env {
            let Some(rest) = var.strip_prefix("INPUT_") else {
                continue;
            };
            let declared = action.inputs.keys().any(|n| input_env_name(n) == *var);
            if !declared {
                out.push(finding(
                    file,
                    format!(
                        "env {var} in step '{}' maps no declared input (value '{value}'); declare input '{}' or remove it",
                        step_label(step),
                        rest.to_lowercase()
                    ),
                ));
            }
        }
    }

    for (name, spec) in &action.outputs {
        if spec
            .description
            .as_deref()
            .is_none_or(|d| d.trim().is_empty())
        {
            out.push(finding(file, format!("output '{name}' has no description")));
        }
        let Some(value) = &spec.value else {
            out.push(finding(
                file,
                format!("output '{name}' has no value: ${{{{ steps.<id>.outputs.{name} }}}}"),
            ));
            continue;
        };
        match step_output_reference(value) {
            Some((id, _)) if action.runs.steps.iter().any(|s| s.id.as_deref() == Some(id)) => {}
            Some((id, _)) => out.push(finding(
                file,
                format!("output '{name}' reads steps.{id} but no step has id '{id}'"),
            )),
            None => out.push(finding(
                file,
                format!(
                    "output '{name}' has value '{value}': expected ${{{{ steps.<id>.outputs.<name> }}}} so a step produces it"
                ),
            )),
        }
    }
    out
}

/// The action file against what the binary says it reads, writes and defaults to.
pub fn check_binary(file: &Path, action: &ActionFile, binary: &BinaryContract) -> Vec<Finding> {
    let mut out = Vec::new();
    for (name, spec) in &action.inputs {
        let Some(declared_by_binary) = binary.inputs.get(name) else {
            out.push(finding(
                file,
                format!("input '{name}' is declared but the binary does not read it"),
            ));
            continue;
        };
        if let Some(description) = &declared_by_binary.description
            && words(description) != words(spec.description.as_deref().unwrap_or_default())
        {
            out.push(finding(
                file,
                format!(
                    "input '{name}' is described as '{}' in action.yml but '{}' in the binary's input table",
                    words(spec.description.as_deref().unwrap_or_default()),
                    words(description)
                ),
            ));
        }
        if let Some(required) = declared_by_binary.required
            && required != spec.required.unwrap_or(false)
        {
            out.push(finding(
                file,
                format!(
                    "input '{name}' has required: {} in action.yml but {required} in the binary's input table",
                    spec.required.unwrap_or(false)
                ),
            ));
        }
        let binary_default = &declared_by_binary.default;
        // `${{ github.token }}` and the like come from the runner: the binary cannot default to
        // them.
        let from_runner = binary_default.is_none()
            && spec
                .default
                .as_ref()
                .is_some_and(|d| d.to_string().trim_start().starts_with("${{"));
        let declared = spec.default.as_ref().map(ToString::to_string);
        if !from_runner
            && declared.as_deref().unwrap_or("") != binary_default.as_deref().unwrap_or("")
        {
            out.push(finding(
                file,
                format!(
                    "input '{name}' defaults to '{}' in action.yml but '{}' in the binary",
                    declared.unwrap_or_default(),
                    binary_default.clone().unwrap_or_default()
                ),
            ));
        }
    }
    for name in binary.inputs.keys() {
        if !action.inputs.contains_key(name) {
            out.push(finding(
                file,
                format!("the binary reads input '{name}' but action.yml does not declare it"),
            ));
        }
    }
    for name in action.outputs.keys() {
        if !binary.outputs.contains(name) {
            out.push(finding(
                file,
                format!("output '{name}' is declared but the binary never writes it"),
            ));
        }
    }
    for name in &binary.outputs {
        if !action.outputs.contains_key(name) {
            out.push(finding(
                file,
                format!("the binary writes output '{name}' but action.yml does not declare it"),
            ));
        }
    }
    out
}

/// A description as words: YAML folds lines (`>-`) and Rust strings continue them (`\`), so
/// line breaks and runs of spaces do not count.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The README's `Inputs` and `Outputs` tables against the action file: same names, same
/// defaults, same order.
pub fn check_readme(file: &Path, action: &ActionFile, readme: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let inputs = markdown_table_after_heading(readme, "Inputs");
    let outputs = markdown_table_after_heading(readme, "Outputs");

    match inputs {
        None if !action.inputs.is_empty() => out.push(finding(
            file,
            "no table under an 'Inputs' heading (columns: name, description, required, default)"
                .into(),
        )),
        None => {}
        Some(table) => {
            let names: Vec<String> = table.rows.iter().map(|r| cell(r, 0)).collect();
            let declared: Vec<String> = action.inputs.keys().cloned().collect();
            if names != declared {
                out.push(finding(
                    file,
                    format!("Inputs table lists {names:?} but action.yml declares {declared:?}"),
                ));
            }
            let default_col = table.column("default");
            let required_col = table.column("required");
            for row in &table.rows {
                let name = cell(row, 0);
                let Some(spec) = action.inputs.get(&name) else {
                    continue;
                };
                if let Some(col) = default_col {
                    let shown = cell(row, col);
                    let declared = spec
                        .default
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    if shown != declared {
                        out.push(finding(
                            file,
                            format!(
                                "Inputs table shows default '{shown}' for '{name}' but action.yml has '{declared}'"
                            ),
                        ));
                    }
                } else {
                    out.push(finding(file, "Inputs table has no 'default' column".into()));
                    break;
                }
                if let Some(col) = required_col {
                    let shown = cell(row, col);
                    let declared = spec.required.unwrap_or(false);
                    let shown_bool = matches!(shown.to_ascii_lowercase().as_str(), "yes" | "true");
                    if shown_bool != declared {
                        out.push(finding(
                            file,
                            format!(
                                "Inputs table shows required '{shown}' for '{name}' but action.yml has required: {declared}"
                            ),
                        ));
                    }
                }
            }
        }
    }

    match outputs {
        None if !action.outputs.is_empty() => out.push(finding(
            file,
            "no table under an 'Outputs' heading (columns: name, description)".into(),
        )),
        None => {}
        Some(table) => {
            let names: Vec<String> = table.rows.iter().map(|r| cell(r, 0)).collect();
            let declared: Vec<String> = action.outputs.keys().cloned().collect();
            if names != declared {
                out.push(finding(
                    file,
                    format!("Outputs table lists {names:?} but action.yml declares {declared:?}"),
                ));
            }
        }
    }
    out
}

fn step_label(step: &Step) -> String {
    step.id
        .clone()
        .or_else(|| step.name.clone())
        .or_else(|| step.uses.clone())
        .unwrap_or_else(|| "unnamed".into())
}

/// `${{ inputs.x }}` with any spacing, and nothing else around it.
fn is_expression_of(value: &str, expr: &str) -> bool {
    value
        .trim()
        .strip_prefix("${{")
        .and_then(|v| v.strip_suffix("}}"))
        .is_some_and(|inner| inner.trim() == expr)
}

/// `${{ steps.<id>.outputs.<name> }}` → `(id, name)`.
fn step_output_reference(value: &str) -> Option<(&str, &str)> {
    let inner = value.trim().strip_prefix("${{")?.strip_suffix("}}")?.trim();
    let rest = inner.strip_prefix("steps.")?;
    let (id, rest) = rest.split_once('.')?;
    let name = rest.strip_prefix("outputs.")?;
    (!id.is_empty() && !name.is_empty()).then_some((id, name))
}

struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }
}

/// A cell without its backticks; `—`/`-` stand for "none".
fn cell(row: &[String], i: usize) -> String {
    let raw = row.get(i).map(String::as_str).unwrap_or("").trim();
    let raw = raw.trim_matches('`');
    if matches!(raw, "—" | "-" | "–") {
        String::new()
    } else {
        raw.replace("\\|", "|")
    }
}

/// The first markdown table after a heading whose text is `heading` (any level).
fn markdown_table_after_heading(markdown: &str, heading: &str) -> Option<Table> {
    let mut lines = markdown.lines().skip_while(|l| {
        let t = l.trim_start();
        !(t.starts_with('#')
            && t.trim_start_matches('#')
                .trim()
                .eq_ignore_ascii_case(heading))
    });
    lines.next()?;
    let mut table_lines = lines
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'));
    let header = split_row(table_lines.next()?);
    let _separator = table_lines.next()?;
    let rows = table_lines.map(split_row).collect();
    Some(Table { header, rows })
}

/// Splits `| a | b \| c |` into cells, keeping escaped pipes inside a cell.
fn split_row(line: &str) -> Vec<String> {
    let trimmed = line.trim().trim_start_matches('|');
    let trimmed = trimmed.strip_suffix('|').unwrap_or(trimmed);
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut chars = trimmed.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                current.push_str("\\|");
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut current).trim().to_string()),
            _ => current.push(c),
        }
    }
    cells.push(current.trim().to_string());
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_forms() {
        assert!(is_expression_of(
            "${{ inputs.list-files }}",
            "inputs.list-files"
        ));
        assert!(is_expression_of("${{inputs.x}}", "inputs.x"));
        assert!(!is_expression_of("pre ${{ inputs.x }}", "inputs.x"));
        assert!(!is_expression_of("${{ inputs.y }}", "inputs.x"));
        assert_eq!(
            step_output_reference("${{ steps.run.outputs.changes }}"),
            Some(("run", "changes"))
        );
        assert_eq!(step_output_reference("${{ env.X }}"), None);
    }

    #[test]
    fn table_after_heading() {
        let md = "# T\n\n## Inputs\n\ntext\n\n| name | default |\n|---|---|\n| `a` | `x \\| y` |\n| b | — |\n\n## Outputs\n";
        let t = markdown_table_after_heading(md, "inputs").unwrap();
        assert_eq!(t.header, vec!["name", "default"]);
        assert_eq!(cell(&t.rows[0], 0), "a");
        assert_eq!(cell(&t.rows[0], 1), "x | y");
        assert_eq!(cell(&t.rows[1], 1), "");
        assert!(markdown_table_after_heading(md, "Outputs").is_none());
    }
}
