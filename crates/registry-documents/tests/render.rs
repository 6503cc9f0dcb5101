//! Renders both documents, reads them back with poppler's `pdftotext`, and rasterises a
//! page with `pdftoppm` to check it is not blank. The files stay under
//! `target/documents/` for a person to look at.

use std::path::PathBuf;
use std::process::Command;

use registry_documents::{CardSheet, CertificateSheet, cards_pdf, certificates_pdf};

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pdftotext(path: &std::path::Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Rasterises page 1 at 50 dpi as greyscale PGM and returns the share of pixels that are
/// not white.
fn ink(path: &std::path::Path, name: &str) -> f64 {
    let prefix = path.with_file_name(name);
    let status = Command::new("pdftoppm")
        .args(["-r", "50", "-gray", "-f", "1", "-l", "1", "-singlefile"])
        .arg(path)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(status.success());
    let pgm = std::fs::read(prefix.with_extension("pgm")).unwrap();
    // P5 header: magic, width, height, maxval, each followed by whitespace.
    let mut fields = 0;
    let mut at = 0;
    while fields < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields += 1;
    }
    let pixels = &pgm[at + 1..];
    let dark = pixels.iter().filter(|&&p| p < 200).count();
    dark as f64 / pixels.len() as f64
}

fn certificate() -> CertificateSheet {
    CertificateSheet {
        issuer: "中国特种设备鉴定评审促进会".into(),
        serial: "ZS2026000123".into(),
        name: "林建国".into(),
        sex: "男".into(),
        resident_id: "35010219700520011X".into(),
        number: "JP20260000014".into(),
        items: vec![
            "RQ-ZZ 压力容器制造".into(),
            "GL-ZZ 锅炉制造".into(),
            "QP-CZ 气瓶充装".into(),
        ],
        issued_on: "2026-11-26".into(),
        valid_until: "2028-12-31".into(),
        verify_url: "https://registry.example.cn/verify/k3q9x2m7v4t8w1z6p5r0s3n2".into(),
        verify_code: "7KQ2M-X9VTR".into(),
    }
}

fn card(n: usize) -> CardSheet {
    CardSheet {
        issuer: "中国特种设备鉴定评审促进会".into(),
        serial: format!("KP2026{n:06}"),
        name: format!("评审员{n}"),
        number: "JP20260000014".into(),
        institution: "福建省特种设备检验研究院鉴定评审中心".into(),
        items: if n == 0 {
            // A long list, to check the type shrinks rather than overflows.
            (0..14).map(|i| format!("压力容器制造{i}")).collect()
        } else {
            vec!["压力容器制造".into(), "锅炉制造".into()]
        },
        valid_until: "2028-12-31".into(),
        verify_url: format!("https://registry.example.cn/verify/card{n:020}"),
        verify_code: "4HW8P-2NDKF".into(),
    }
}

#[test]
fn a_certificate_holds_its_text_in_chinese_and_is_not_blank() {
    let pdf = certificates_pdf(&[certificate()]).unwrap();
    let path = out_dir().join("certificate.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = pdftotext(&path);
    for wanted in [
        "鉴定评审人员资格证书",
        "林建国",
        "JP20260000014",
        "压力容器制造",
        "锅炉制造",
        "气瓶充装",
        "7KQ2M-X9VTR",
        "中国特种设备鉴定评审促进会",
    ] {
        assert!(text.contains(wanted), "{wanted} missing from:\n{text}");
    }
    let share = ink(&path, "certificate-page1");
    assert!(share > 0.01 && share < 0.5, "ink share {share}");
    // The font is a subset: a certificate is small.
    assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
}

#[test]
fn cards_print_ten_to_a_sheet() {
    let cards: Vec<CardSheet> = (0..12).map(card).collect();
    let pdf = cards_pdf(&cards).unwrap();
    let path = out_dir().join("cards.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = pdftotext(&path);
    assert_eq!(text.matches('\u{c}').count(), 2, "two sheets");
    for wanted in [
        "鉴定评审人员注册信息卡",
        "评审员1",
        "评审员11",
        "JP20260000014",
        "福建省特种设备",
        "压力容器制造",
        "锅炉制造",
        "4HW8P-2NDKF",
    ] {
        assert!(text.contains(wanted), "{wanted} missing from:\n{text}");
    }
    let share = ink(&path, "cards-page1");
    assert!(share > 0.01 && share < 0.6, "ink share {share}");
}

#[test]
fn nothing_to_print_is_an_error() {
    assert!(certificates_pdf(&[]).is_err());
    assert!(cards_pdf(&[]).is_err());
}
