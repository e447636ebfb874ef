package dev.lectern.lessons.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.ai.retrieval.Passage;
import dev.lectern.core.json.Json;
import dev.lectern.lessons.plan.PlannedScene.Block;
import dev.lectern.lessons.plan.PlannedScene.Citation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Checks a lesson plan written as JSON, by the model or by a caller, against the plan schema ({@link #schema}) and
 * turns it into records. Every outside string is checked for type, length (in code points) and control characters;
 * unknown fields are errors, as a schema with {@code additionalProperties: false} would have them. Each error names
 * the JSON path it is about ({@code $.scenes[1].bullets[0]: …}) so that it can be sent back to the model as is.
 */
public final class PlanValidator {
    public static final int MAX_TITLE_CHARS = 120;
    public static final int MAX_NARRATION_CHARS = 2000;
    public static final int MAX_BULLETS = 6;
    public static final int MAX_BULLET_CHARS = 160;
    public static final int MAX_BLOCK_LINES = 16;
    public static final int MAX_BLOCK_LINE_CHARS = 72;
    public static final int MAX_LANGUAGE_CHARS = 24;
    public static final int MAX_VISUAL_CHARS = 400;
    public static final int MAX_SOURCES_PER_SCENE = 5;
    /** At most this many errors are reported; the rest are summarised in one line. */
    static final int MAX_ERRORS = 20;

    private static final Set<String> PLAN_FIELDS = Set.of("title", "scenes");
    private static final Set<String> SCENE_FIELDS = Set.of("title", "narration", "bullets", "block", "visual",
            "sources");
    private static final Set<String> BLOCK_FIELDS = Set.of("kind", "text", "language");

    private final int maxScenes;

    public PlanValidator(int maxScenes) {
        if (maxScenes < 1) {
            throw new IllegalArgumentException("maxScenes must be at least 1");
        }
        this.maxScenes = maxScenes;
    }

    public int maxScenes() {
        return maxScenes;
    }

    /** The plan when {@link #errors} is empty, else null. */
    public record Result(LessonPlan plan, List<String> errors) {
        public Result {
            errors = List.copyOf(errors);
        }

        public boolean valid() {
            return errors.isEmpty();
        }
    }

    /**
     * A whole plan, {@code {"title":…, "scenes":[…]}}, as the model writes it.
     *
     * @param expectedScenes the scene count asked for, or 0 for any count from 1 to the maximum
     * @param sources the numbered sources offered to the model; a scene's {@code sources} are 1-based indexes into it
     */
    public Result validatePlan(JsonNode root, int expectedScenes, List<Passage> sources) {
        Errors errors = new Errors();
        if (root == null || !root.isObject()) {
            errors.add("$", "must be a JSON object with \"title\" and \"scenes\"");
            return errors.result(null);
        }
        unknownFields(root, PLAN_FIELDS, "$", errors);
        String title = text(root.get("title"), "$.title", MAX_TITLE_CHARS, false, errors);
        List<PlannedScene> scenes = scenes(root.get("scenes"), "$.scenes", expectedScenes, sources, errors);
        return errors.result(errors.isEmpty() ? new LessonPlan(title, scenes) : null);
    }

    /** A caller's own scene list ({@code [{title, narration, bullets}, …]}), under a lesson title it chose. */
    public Result validateScenes(JsonNode scenes, String lessonTitle, List<Passage> sources) {
        Errors errors = new Errors();
        String title = text(lessonTitle == null ? null : Json.MAPPER.getNodeFactory().textNode(lessonTitle), "$.title",
                MAX_TITLE_CHARS, false, errors);
        List<PlannedScene> list = scenes(scenes, "$.scenes", 0, sources, errors);
        return errors.result(errors.isEmpty() ? new LessonPlan(title, list) : null);
    }

    private List<PlannedScene> scenes(JsonNode node, String path, int expected, List<Passage> sources, Errors errors) {
        List<PlannedScene> out = new ArrayList<>();
        if (node == null || !node.isArray()) {
            errors.add(path, "must be an array of scene objects");
            return out;
        }
        if (expected > 0 && node.size() != expected) {
            errors.add(path, "must have exactly " + expected + " scenes (got " + node.size() + ")");
        } else if (node.isEmpty() || node.size() > maxScenes) {
            errors.add(path, "must have 1-" + maxScenes + " scenes (got " + node.size() + ")");
        }
        for (int i = 0; i < Math.min(node.size(), maxScenes); i++) {
            PlannedScene s = scene(node.get(i), path + "[" + i + "]", sources, errors);
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    private PlannedScene scene(JsonNode node, String path, List<Passage> sources, Errors errors) {
        if (node == null || !node.isObject()) {
            errors.add(path, "must be an object with \"title\", \"narration\" and \"bullets\" or \"block\"");
            return null;
        }
        int before = errors.count();
        unknownFields(node, SCENE_FIELDS, path, errors);
        String title = text(node.get("title"), path + ".title", MAX_TITLE_CHARS, false, errors);
        String narration = text(node.get("narration"), path + ".narration", MAX_NARRATION_CHARS, false, errors);
        if (narration != null && narration.codePoints().noneMatch(Character::isLetterOrDigit)) {
            errors.add(path + ".narration", "must contain words to speak");
        }
        List<String> bullets = bullets(node.get("bullets"), path + ".bullets", errors);
        Block block = block(node.get("block"), path + ".block", errors);
        if (bullets.isEmpty() && block == null && errors.count() == before) {
            errors.add(path, "needs \"bullets\" (1-" + MAX_BULLETS + ") or a \"block\" (a formula or code), or both");
        }
        JsonNode visualNode = node.get("visual");
        String visual = visualNode == null || visualNode.isNull() ? ""
                : text(visualNode, path + ".visual", MAX_VISUAL_CHARS, false, errors);
        List<Citation> citations = citations(node.get("sources"), path + ".sources", sources, errors);
        if (errors.count() > before) {
            return null;
        }
        return new PlannedScene(title, narration, bullets, block, visual, citations);
    }

    private static List<String> bullets(JsonNode node, String path, Errors errors) {
        List<String> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray() || node.size() > MAX_BULLETS) {
            errors.add(path, "must be an array of at most " + MAX_BULLETS + " strings"
                    + (node.isArray() ? " (got " + node.size() + ")" : ""));
            return out;
        }
        for (int i = 0; i < node.size(); i++) {
            String b = text(node.get(i), path + "[" + i + "]", MAX_BULLET_CHARS, false, errors);
            if (b != null) {
                out.add(b);
            }
        }
        return out;
    }

    private static Block block(JsonNode node, String path, Errors errors) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            errors.add(path, "must be an object {\"kind\": \"formula\" or \"code\", \"text\": …} or null");
            return null;
        }
        unknownFields(node, BLOCK_FIELDS, path, errors);
        JsonNode kindNode = node.get("kind");
        Block.Kind kind = null;
        if (kindNode != null && kindNode.isTextual()
                && (kindNode.textValue().equals("formula") || kindNode.textValue().equals("code"))) {
            kind = Block.Kind.valueOf(kindNode.textValue().toUpperCase(Locale.ROOT));
        } else {
            errors.add(path + ".kind", "must be \"formula\" or \"code\"");
        }
        String text = text(node.get("text"), path + ".text", MAX_BLOCK_LINES * (MAX_BLOCK_LINE_CHARS + 1), true,
                errors);
        if (text != null) {
            String[] lines = text.split("\n", -1);
            if (lines.length > MAX_BLOCK_LINES) {
                errors.add(path + ".text", "must have at most " + MAX_BLOCK_LINES + " lines (got " + lines.length + ")");
            }
            for (int i = 0; i < lines.length; i++) {
                int n = lines[i].codePointCount(0, lines[i].length());
                if (n > MAX_BLOCK_LINE_CHARS) {
                    errors.add(path + ".text", "line " + (i + 1) + " has " + n + " characters (at most "
                            + MAX_BLOCK_LINE_CHARS + " fit on a slide)");
                    break;
                }
            }
        }
        JsonNode langNode = node.get("language");
        String language = "";
        if (langNode != null && !langNode.isNull()) {
            if (!langNode.isTextual() || !langNode.textValue().matches("[A-Za-z0-9+#._-]{0," + MAX_LANGUAGE_CHARS + "}")) {
                errors.add(path + ".language", "must be a short language name such as \"python\"");
            } else {
                language = langNode.textValue();
            }
        }
        return kind == null || text == null ? null : new Block(kind, text, language);
    }

    private static List<Citation> citations(JsonNode node, String path, List<Passage> sources, Errors errors) {
        List<Citation> out = new ArrayList<>();
        if (node == null || node.isNull() || (node.isArray() && node.isEmpty())) {
            return out;
        }
        if (sources.isEmpty()) {
            errors.add(path, "must be empty: no sources were provided");
            return out;
        }
        if (!node.isArray() || node.size() > MAX_SOURCES_PER_SCENE) {
            errors.add(path, "must be an array of at most " + MAX_SOURCES_PER_SCENE + " source numbers");
            return out;
        }
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode n = node.get(i);
            if (!n.isIntegralNumber() || n.asLong() < 1 || n.asLong() > sources.size()) {
                errors.add(path + "[" + i + "]", "must be a source number from 1 to " + sources.size());
            } else if (seen.add(n.asInt())) {
                Passage p = sources.get(n.asInt() - 1);
                out.add(new Citation(p.fileId(), p.filename(), p.page()));
            }
        }
        return out;
    }

    /** A trimmed string of 1-max code points, without control characters (newlines only where multiline). */
    private static String text(JsonNode node, String path, int max, boolean multiline, Errors errors) {
        if (node == null || !node.isTextual()) {
            errors.add(path, "must be a string of 1-" + max + " characters");
            return null;
        }
        String s = node.textValue().replace("\r\n", "\n").strip();
        int n = s.codePointCount(0, s.length());
        if (n == 0 || n > max) {
            errors.add(path, "must be a string of 1-" + max + " characters (got " + n + ")");
            return null;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) && !(multiline && c == '\n') || c == '\u2028' || c == '\u2029') {
                errors.add(path, multiline ? "must not contain control characters other than line breaks"
                        : "must be one line without control characters");
                return null;
            }
        }
        return s;
    }

    private static void unknownFields(JsonNode node, Set<String> allowed, String path, Errors errors) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                errors.add(path, "has an unknown field \"" + clip(f) + "\" (allowed: " + String.join(", ",
                        allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    /**
     * The plan's JSON Schema, as the prompt shows it to the model. It states the same rules {@link #validatePlan}
     * checks.
     */
    public String schema(int expectedScenes, int sourceCount) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("type", "object");
        root.putArray("required").add("title").add("scenes");
        root.put("additionalProperties", false);
        ObjectNode props = root.putObject("properties");
        string(props.putObject("title"), MAX_TITLE_CHARS);
        ObjectNode scenes = props.putObject("scenes");
        scenes.put("type", "array");
        scenes.put("minItems", expectedScenes > 0 ? expectedScenes : 1);
        scenes.put("maxItems", expectedScenes > 0 ? expectedScenes : maxScenes);
        ObjectNode scene = scenes.putObject("items");
        scene.put("type", "object");
        scene.putArray("required").add("title").add("narration");
        scene.put("additionalProperties", false);
        ObjectNode sp = scene.putObject("properties");
        string(sp.putObject("title"), MAX_TITLE_CHARS);
        string(sp.putObject("narration"), MAX_NARRATION_CHARS)
                .put("description", "what the narrator says over this slide, in full sentences");
        ObjectNode bullets = sp.putObject("bullets");
        bullets.put("type", "array").put("maxItems", MAX_BULLETS)
                .put("description", "short on-screen points, revealed one by one as the narration reaches them");
        string(bullets.putObject("items"), MAX_BULLET_CHARS);
        ObjectNode block = sp.putObject("block");
        block.putArray("type").add("object").add("null");
        block.put("description", "one formula or code listing shown in a monospace box; at most " + MAX_BLOCK_LINES
                + " lines of at most " + MAX_BLOCK_LINE_CHARS + " characters");
        block.putArray("required").add("kind").add("text");
        block.put("additionalProperties", false);
        ObjectNode bp = block.putObject("properties");
        bp.putObject("kind").putArray("enum").add("formula").add("code");
        string(bp.putObject("text"), MAX_BLOCK_LINES * (MAX_BLOCK_LINE_CHARS + 1));
        string(bp.putObject("language"), MAX_LANGUAGE_CHARS);
        string(sp.putObject("visual"), MAX_VISUAL_CHARS).put("description", "a note on the intended visual");
        ObjectNode src = sp.putObject("sources");
        src.put("type", "array").put("maxItems", sourceCount == 0 ? 0 : MAX_SOURCES_PER_SCENE)
                .put("description", sourceCount == 0 ? "no sources were provided: leave empty"
                        : "numbers of the provided sources this scene relies on");
        src.putObject("items").put("type", "integer").put("minimum", 1).put("maximum", Math.max(1, sourceCount));
        scene.put("description", "needs bullets (1-" + MAX_BULLETS + ") or a block, or both");
        return Json.write(root);
    }

    private static ObjectNode string(ObjectNode node, int max) {
        return node.put("type", "string").put("minLength", 1).put("maxLength", max);
    }

    private static final class Errors {
        private final List<String> list = new ArrayList<>();
        private int count;

        void add(String path, String message) {
            count++;
            if (list.size() < MAX_ERRORS) {
                list.add(path + ": " + message);
            }
        }

        int count() {
            return count;
        }

        boolean isEmpty() {
            return count == 0;
        }

        Result result(LessonPlan plan) {
            List<String> out = new ArrayList<>(list);
            if (count > list.size()) {
                out.add("… and " + (count - list.size()) + " more errors");
            }
            return new Result(plan, out);
        }
    }
}
