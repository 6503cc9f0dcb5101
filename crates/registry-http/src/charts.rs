//! Bar charts drawn on the server as SVG: no script, they print, and their labels are the
//! page's own Chinese text (the browser's fonts render it). Each chart is an `<svg
//! role="img">` whose title names it; the page shows its numbers as a table beside it, for
//! screen readers and for copying.

use std::fmt::Write as _;

/// One bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bar {
    /// Under the bar.
    pub(crate) label: String,
    /// Its height.
    pub(crate) value: u32,
    /// Drawn in the warning colour (past an age limit, after today …).
    pub(crate) marked: bool,
    /// The part of the value drawn in the warning colour on top (late, …).
    pub(crate) marked_part: u32,
}

/// A chart and the numbers it draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chart {
    /// Its title, also the SVG's accessible name.
    pub(crate) title: String,
    /// What a marked bar means (the legend), if any bar is marked.
    pub(crate) marked_means: Option<String>,
    /// The bars.
    pub(crate) bars: Vec<Bar>,
    /// The SVG markup (escaped text only).
    pub(crate) svg: String,
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 260;
const TOP: u32 = 28;
const BOTTOM: u32 = 48;
const LEFT: u32 = 12;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A bar chart of `bars`, its `id` unique on the page.
pub(crate) fn bar_chart(
    id: &str,
    title: &str,
    marked_means: Option<&str>,
    bars: Vec<Bar>,
) -> Chart {
    let n = u32::try_from(bars.len()).unwrap_or(1).max(1);
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let plot = HEIGHT - TOP - BOTTOM;
    let slot = (WIDTH - 2 * LEFT) / n;
    let bar_width = (slot * 7 / 10).max(2);
    // long series: label every other bar
    let every = if n > 16 { 2 } else { 1 };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" id="{id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{y}" x2="{x2}" y2="{y}" stroke="#8a94a3" stroke-width="1"/>"##,
        y = HEIGHT - BOTTOM,
        x2 = WIDTH - LEFT
    );
    for (i, bar) in bars.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(0);
        let height = bar.value * plot / max;
        let x = LEFT + i * slot + (slot - bar_width) / 2;
        let y = HEIGHT - BOTTOM - height;
        let colour = if bar.marked { "#b45309" } else { "#1f4e8c" };
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{y}" width="{bar_width}" height="{height}" fill="{colour}"><title>{}：{}</title></rect>"#,
            escape(&bar.label),
            bar.value
        );
        if bar.marked_part > 0 {
            let part = bar.marked_part.min(bar.value) * plot / max;
            let _ = write!(
                svg,
                r##"<rect x="{x}" y="{y}" width="{bar_width}" height="{part}" fill="#b45309"><title>{}：其中 {}</title></rect>"##,
                escape(&bar.label),
                bar.marked_part
            );
        }
        let centre = x + bar_width / 2;
        let _ = write!(
            svg,
            r##"<text x="{centre}" y="{}" font-size="11" text-anchor="middle" fill="#1f2933">{}</text>"##,
            y.saturating_sub(4),
            bar.value
        );
        if i % every == 0 {
            let _ = write!(
                svg,
                r##"<text x="{centre}" y="{}" font-size="11" text-anchor="middle" fill="#52606d">{}</text>"##,
                HEIGHT - BOTTOM + 16,
                escape(&bar.label)
            );
        }
    }
    svg.push_str("</svg>");
    Chart {
        title: title.to_owned(),
        marked_means: marked_means
            .filter(|_| bars.iter().any(|b| b.marked))
            .map(str::to_owned),
        bars,
        svg,
    }
}

#[cfg(test)]
mod tests {
    use super::{Bar, bar_chart};

    #[test]
    fn a_chart_is_well_formed_svg_with_its_numbers_and_escaped_labels() {
        let chart = bar_chart(
            "ages",
            "年龄分布 <已注册>",
            Some("已到换证年龄上限"),
            vec![
                Bar {
                    label: "60–64 岁".into(),
                    value: 12,
                    marked: false,
                    marked_part: 0,
                },
                Bar {
                    label: "65–69 岁".into(),
                    value: 3,
                    marked: true,
                    marked_part: 0,
                },
            ],
        );
        assert!(chart.svg.starts_with("<svg") && chart.svg.ends_with("</svg>"));
        assert!(chart.svg.contains("年龄分布 &lt;已注册&gt;"));
        assert!(chart.svg.contains(">12</text>") && chart.svg.contains(">3</text>"));
        assert!(chart.svg.contains("65–69 岁：3"));
        assert_eq!(chart.marked_means.as_deref(), Some("已到换证年龄上限"));
        // every opened element is closed
        assert_eq!(
            chart.svg.matches("<rect").count(),
            chart.svg.matches("</rect>").count()
        );
        assert_eq!(
            chart.svg.matches("<text").count(),
            chart.svg.matches("</text>").count()
        );
    }
}
