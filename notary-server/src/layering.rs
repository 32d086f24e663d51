//! The module layering of this crate, checked: each top-level module may import only modules
//! in layers below its own (so there is no import cycle), and the order is the one documented
//! in the crate root. Reads the sources; comments are ignored.

use std::collections::BTreeSet;
use std::path::Path;

/// Top to bottom. A module may use modules of later rows only.
const LAYERS: &[&[&str]] = &[
    &["app"],
    &["config"],
    &["auth"],
    &["http"],
    &["trust"],
    &["storage", "signer"],
    &["gun", "metrics"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|row| row.contains(&module))
}

/// Every `.rs` file under `dir` with the top-level module it belongs to.
fn sources(dir: &Path, top: Option<&str>, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            sources(&path, Some(top.unwrap_or(&name)), out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let module = top.unwrap_or(stem).to_string();
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((module, text));
            }
        }
    }
}

/// The top-level modules named by `crate::<name>` in code (not in comments).
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn modules_only_use_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, None, &mut files);
    // The library's modules, as `lib.rs` declares them (the binary's own modules sit on top).
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap_or_default();
    let declared: BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("pub mod")
                .or(l.trim().strip_prefix("mod"))
        })
        .map(|l| l.trim().trim_end_matches(';'))
        .filter(|m| *m != "layering")
        .collect();
    let mut violations = Vec::new();
    let mut seen = BTreeSet::new();
    for (module, text) in &files {
        if !declared.contains(module.as_str()) {
            continue;
        }
        seen.insert(module.clone());
        let Some(own) = layer(module) else {
            violations.push(format!(
                "module `{module}` is in no layer: add it to LAYERS"
            ));
            continue;
        };
        for used in uses(text) {
            if used == *module {
                continue;
            }
            match layer(&used) {
                Some(l) if l > own => {}
                _ => violations.push(format!("`{module}` uses `{used}`")),
            }
        }
    }
    assert!(seen.contains("trust") && seen.contains("http"), "{seen:?}");
    assert!(
        violations.is_empty(),
        "layering violations: {violations:#?}"
    );
}

#[test]
fn the_scanner_sees_uses_and_skips_comments() {
    let text =
        "use crate::trust::File;\n// crate::app is named in a comment\nlet x = crate::gun::Gun;";
    let got: Vec<String> = uses(text).into_iter().collect();
    assert_eq!(got, ["gun", "trust"]);
}
