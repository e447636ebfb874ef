package dev.lectern.lessons.render;

import dev.lectern.lessons.plan.PlannedScene;
import dev.lectern.lessons.plan.PlannedScene.Block;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.RoundRectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws a scene's slide in the house style with Java2D: a 16:9 off-white page with an accent stripe, the title
 * (bold, at most two lines) over a short accent rule, the bullets with round markers, a formula (centred) or code
 * (left-aligned, with its language) in a monospace box, and the sources in the footer. Sizes are proportions of the
 * frame height, so 720p and 1080p look the same. When the content does not fit, everything shrinks together (to
 * 30 % at most); a block too wide or too tall for the room left shrinks on its own, within a legible floor. The layout is made once with every bullet, so that revealing one
 * never moves the others. Images are {@code TYPE_3BYTE_BGR} (ffmpeg's {@code bgr24}).
 */
public final class SlideRenderer {
    static final Color BACKGROUND = new Color(0xFA, 0xF9, 0xF6);
    static final Color ACCENT = new Color(0x25, 0x63, 0xEB);
    static final Color INK = new Color(0x0F, 0x17, 0x2A);
    static final Color BODY = new Color(0x33, 0x41, 0x55);
    static final Color MUTED = new Color(0x64, 0x74, 0x8B);
    static final Color BLOCK_FILL = new Color(0xEE, 0xF2, 0xF7);
    static final Color BLOCK_EDGE = new Color(0xCB, 0xD5, 0xE1);
    /** Below this scale a block may shrink from 14 to 10 units; at the last one to whatever fits (then clipped). */
    private static final float MIN_FACTOR = 0.55f;
    private static final float LAST_FACTOR = 0.3f;

    private final int width;
    private final int height;
    private final float s; // pixels per unit of the 720-pixel-high design

    public SlideRenderer(int width, int height) {
        this.width = width;
        this.height = height;
        this.s = height / 720f;
    }

    /** What a slide shows: drawn from a scene of the plan. */
    public record Slide(String title, List<String> bullets, Block block, List<String> sources) {
        public Slide {
            bullets = List.copyOf(bullets);
            sources = List.copyOf(sources);
        }

        public static Slide of(PlannedScene scene) {
            return new Slide(scene.title(), scene.bullets(), scene.block(),
                    scene.citations().stream().map(PlannedScene.Citation::label).distinct().toList());
        }
    }

    private record Line(String text, Font font, Color color, float x, float baseline) {}

    /** A slide laid out: the lines of the title, of each bullet, of the block, and of the footer. */
    public static final class Layout {
        private final List<Line> fixed = new ArrayList<>(); // title and footer
        private final List<Line> block = new ArrayList<>();
        private final List<List<Line>> bullets = new ArrayList<>();
        private final List<float[]> markers = new ArrayList<>(); // x, y, diameter per bullet
        private float[] box; // x, y, w, h of the block, or null
        private float ruleY;
        private float contentTop;
        private float contentBottom;

        public int bulletCount() {
            return bullets.size();
        }
    }

    public Layout layout(Slide slide) {
        Layout l = new Layout();
        float margin = 80 * s;
        float contentWidth = width - 2 * margin;
        BufferedImage scratch = new BufferedImage(1, 1, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = scratch.createGraphics();
        hints(g);
        try {
            // title: 46 units, shrinking to fit two lines
            float y = 62 * s;
            List<String> titleLines = List.of();
            Font titleFont = null;
            for (float size : new float[] {46, 42, 38, 34}) {
                titleFont = SlideFonts.covering(SlideFonts.sans(Font.BOLD, size * s), slide.title());
                titleLines = wrap(slide.title(), g.getFontMetrics(titleFont), contentWidth);
                if (titleLines.size() <= 2) {
                    break;
                }
            }
            titleLines = ellipsize(titleLines, 2, g.getFontMetrics(titleFont), contentWidth);
            FontMetrics tm = g.getFontMetrics(titleFont);
            for (String line : titleLines) {
                y += tm.getAscent();
                l.fixed.add(new Line(line, titleFont, INK, margin, y));
                y += tm.getDescent() + 4 * s;
            }
            l.ruleY = y + 14 * s;
            float top = l.ruleY + 6 * s + 34 * s;
            float bottom = height - (slide.sources().isEmpty() ? 48 : 76) * s;
            if (!slide.sources().isEmpty()) {
                Font f = SlideFonts.sans(Font.PLAIN, 18 * s);
                String text = "Sources: " + String.join(" · ", slide.sources());
                f = SlideFonts.covering(f, text);
                List<String> one = ellipsize(wrap(text, g.getFontMetrics(f), contentWidth), 1, g.getFontMetrics(f),
                        contentWidth);
                l.fixed.add(new Line(one.get(0), f, MUTED, margin, height - 34 * s));
            }
            content(l, slide, g, margin, contentWidth, top, bottom);
        } finally {
            g.dispose();
        }
        return l;
    }

    /** Bullets, then the block; both at the largest common scale that fits between {@code top} and {@code bottom}. */
    private void content(Layout l, Slide slide, Graphics2D g, float margin, float contentWidth, float top,
                         float bottom) {
        float available = bottom - top;
        l.contentTop = top;
        l.contentBottom = bottom;
        for (float f = 1f; ; f -= 0.05f) {
            boolean last = f - 0.05f < LAST_FACTOR;
            l.bullets.clear();
            l.markers.clear();
            l.box = null;
            List<Line> blockLines = new ArrayList<>();
            float y = 0;
            float bulletSize = 32 * s * f;
            float indent = 40 * s * f;
            for (String b : slide.bullets()) {
                Font font = SlideFonts.covering(SlideFonts.sans(Font.PLAIN, bulletSize), b);
                FontMetrics fm = g.getFontMetrics(font);
                List<Line> lines = new ArrayList<>();
                float lineHeight = bulletSize * 1.32f;
                float first = y + fm.getAscent();
                for (String line : wrap(b, fm, contentWidth - indent)) {
                    lines.add(new Line(line, font, BODY, margin + indent, y + fm.getAscent()));
                    y += lineHeight;
                }
                float d = bulletSize * 0.32f;
                l.markers.add(new float[] {margin + 4 * s * f, first - fm.getAscent() * 0.36f - d / 2, d});
                l.bullets.add(lines);
                y += 16 * s * f;
            }
            float blockHeight = 0;
            if (slide.block() != null) {
                if (!slide.bullets().isEmpty()) {
                    y += 12 * s * f;
                }
                blockHeight = block(l, slide.block(), g, f, margin, contentWidth, y, available - y - 2 * s,
                        (last ? 3 : f < MIN_FACTOR ? 10 : 14) * s, blockLines); // 2 units for the box's edge
            }
            float total = slide.block() != null ? y + blockHeight : Math.max(0, y - 16 * s * f);
            if (total <= available + 0.5f || last) {
                // a slide of a block alone is centred in the content area; otherwise content hangs from the top
                float shift = slide.bullets().isEmpty() ? top + Math.max(0, (available - total) / 2) : top;
                for (int i = 0; i < l.bullets.size(); i++) {
                    l.bullets.set(i, moved(l.bullets.get(i), shift));
                    l.markers.get(i)[1] += shift;
                }
                l.block.addAll(moved(blockLines, shift));
                if (l.box != null) {
                    l.box[1] += shift;
                }
                return;
            }
        }
    }

    /**
     * Lays out the block's lines from {@code y} into {@code out}, sets its box, and returns its height. The block
     * shrinks on its own to fit the content width and the {@code room} left below the bullets, down to {@code floor}
     * (a legible size, unless this is the last try).
     */
    private float block(Layout l, Block block, Graphics2D g, float f, float margin, float contentWidth, float y,
                        float room, float floor, List<Line> out) {
        boolean formula = block.kind() == Block.Kind.FORMULA;
        boolean labelled = !formula && !block.language().isEmpty();
        float pad = 22 * s * f;
        float size = (formula ? 38 : 24) * s * f;
        List<String> lines = block.text().replace("\t", "    ").lines().toList();
        Font font = SlideFonts.covering(SlideFonts.mono(size), block.text());
        float widest = widest(lines, g.getFontMetrics(font));
        float width = contentWidth - 2 * pad;
        if (widest > width) { // a long line: this block alone shrinks
            size = size * width / widest;
        }
        float labelRoom = labelled ? 20 * s : 0;
        float fitHeight = (room - 2 * pad - labelRoom) / (lines.size() * 1.35f);
        if (size > fitHeight && fitHeight >= floor) {
            size = fitHeight;
        }
        font = font.deriveFont(size);
        FontMetrics fm = g.getFontMetrics(font);
        float lineHeight = size * 1.35f;
        float labelHeight = 0;
        if (labelled) {
            Font label = SlideFonts.sans(Font.PLAIN, 15 * s);
            FontMetrics lm = g.getFontMetrics(label);
            String text = block.language();
            out.add(new Line(text, label, MUTED, margin + contentWidth - pad - lm.stringWidth(text),
                    y + pad * 0.6f + lm.getAscent()));
            labelHeight = Math.min(labelRoom, lm.getHeight());
        }
        float ty = y + pad + labelHeight;
        for (String line : lines) {
            float x = formula ? margin + (contentWidth - fm.stringWidth(line)) / 2 : margin + pad;
            out.add(new Line(line, font, INK, x, ty + fm.getAscent()));
            ty += lineHeight;
        }
        float h = ty - y + pad - (lineHeight - size * 1.2f);
        l.box = new float[] {margin, y, contentWidth, h};
        return h;
    }

    private static float widest(List<String> lines, FontMetrics fm) {
        float w = 0;
        for (String line : lines) {
            w = Math.max(w, fm.stringWidth(line));
        }
        return w;
    }

    private static List<Line> moved(List<Line> lines, float dy) {
        List<Line> out = new ArrayList<>(lines.size());
        for (Line l : lines) {
            out.add(new Line(l.text(), l.font(), l.color(), l.x(), l.baseline() + dy));
        }
        return out;
    }

    /** The slide with the title, the block and the first {@code revealed} bullets. */
    public BufferedImage draw(Layout l, int revealed) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        try {
            hints(g);
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, width, height);
            g.setColor(ACCENT);
            g.fillRect(0, 0, width, Math.round(10 * s));
            g.fill(new RoundRectangle2D.Float(80 * s, l.ruleY, 96 * s, 6 * s, 6 * s, 6 * s));
            for (Line line : l.fixed) {
                text(g, line);
            }
            // content never spills over the footer or the margins, even when the fit at the smallest scale fails
            g.clipRect(0, Math.round(l.contentTop - 8 * s), width, Math.round(l.contentBottom - l.contentTop + 8 * s));
            if (l.box != null) {
                RoundRectangle2D box = new RoundRectangle2D.Float(l.box[0], l.box[1], l.box[2], l.box[3], 18 * s,
                        18 * s);
                g.setColor(BLOCK_FILL);
                g.fill(box);
                g.setColor(BLOCK_EDGE);
                g.setStroke(new BasicStroke(Math.max(1, 1.5f * s)));
                g.draw(box);
            }
            for (Line line : l.block) {
                text(g, line);
            }
            for (int i = 0; i < Math.min(revealed, l.bullets.size()); i++) {
                float[] m = l.markers.get(i);
                g.setColor(ACCENT);
                g.fill(new Ellipse2D.Float(m[0], m[1], m[2], m[2]));
                for (Line line : l.bullets.get(i)) {
                    text(g, line);
                }
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    private static void text(Graphics2D g, Line line) {
        g.setColor(line.color());
        g.setFont(line.font());
        g.drawString(line.text(), line.x(), line.baseline());
    }

    private static void hints(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    }

    /** Word-wraps {@code text} to {@code width} pixels; a word wider than a line (or text without spaces) is cut. */
    static List<String> wrap(String text, FontMetrics fm, float width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.strip().split("\\s+")) {
            String candidate = line.length() == 0 ? word : line + " " + word;
            if (fm.stringWidth(candidate) <= width) {
                line.setLength(0);
                line.append(candidate);
                continue;
            }
            if (line.length() > 0) {
                lines.add(line.toString());
                line.setLength(0);
            }
            int start = 0;
            while (start < word.length()) { // cut by code points when one word overflows a line
                int end = start;
                while (end < word.length()) {
                    int next = word.offsetByCodePoints(end, 1);
                    if (fm.stringWidth(word.substring(start, next)) > width && end > start) {
                        break;
                    }
                    end = next;
                }
                if (end < word.length()) {
                    lines.add(word.substring(start, end));
                } else {
                    line.append(word, start, end);
                }
                start = end;
            }
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    /** At most {@code max} lines; when cut, the last one ends with an ellipsis that fits. */
    static List<String> ellipsize(List<String> lines, int max, FontMetrics fm, float width) {
        if (lines.size() <= max) {
            return lines;
        }
        List<String> out = new ArrayList<>(lines.subList(0, max));
        String last = out.get(max - 1);
        while (!last.isEmpty() && fm.stringWidth(last + "…") > width) {
            last = last.substring(0, last.offsetByCodePoints(last.length(), -1));
        }
        out.set(max - 1, last.stripTrailing() + "…");
        return out;
    }
}
