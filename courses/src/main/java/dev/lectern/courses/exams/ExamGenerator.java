package dev.lectern.courses.exams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.courses.exams.QuestionContent.Citation;
import dev.lectern.courses.exams.QuestionContent.Option;
import dev.lectern.jobs.Enqueued;
import dev.lectern.jobs.JobContext;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.jobs.PermanentJobFailure;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@value #KIND} job: asks the model for questions over the course's own passages as JSON of a fixed schema
 * ({@link #SCHEMA}; an answer that breaks it is sent back with the errors, see {@link ModelJson}), then keeps a
 * question only if it passes {@link QuestionChecks}, its citation quotes a passage of the course verbatim, and it is no
 * near-duplicate of the bank or of another kept question. What is dropped is asked for again (at most
 * {@value #ROUNDS} rounds); kept questions land in the bank as drafts. A job that keeps nothing fails with the reasons.
 */
public final class ExamGenerator {
    public static final String KIND = "exams.generate";
    static final int ROUNDS = 3;
    static final int MAX_PASSAGES = 40;
    static final int MAX_PASSAGE_CHARS = 1500;
    private static final Set<String> QUESTION_FIELDS = Set.of("type", "stem", "options", "numericAnswer", "tolerance",
            "modelAnswer", "explanation", "citation");
    private static final Set<String> OPTION_FIELDS = Set.of("id", "text", "correct", "feedback");

    /** The JSON Schema of the model's answer (strict: every field required, no others). */
    public static final String SCHEMA = """
            {"type":"object","additionalProperties":false,"required":["questions"],"properties":{"questions":{
            "type":"array","items":{"type":"object","additionalProperties":false,"required":["type","stem","options",
            "numericAnswer","tolerance","modelAnswer","explanation","citation"],"properties":{
            "type":{"enum":["single_choice","multiple_select","true_false","numeric","short_answer","essay"]},
            "stem":{"type":"string"},
            "options":{"type":"array","items":{"type":"object","additionalProperties":false,
            "required":["id","text","correct","feedback"],"properties":{"id":{"type":"string"},"text":{"type":"string"},
            "correct":{"type":"boolean"},"feedback":{"type":"string"}}}},
            "numericAnswer":{"type":["number","null"]},"tolerance":{"type":["number","null"]},
            "modelAnswer":{"type":"string"},"explanation":{"type":"string"},
            "citation":{"type":"object","additionalProperties":false,"required":["passageId","quote"],
            "properties":{"passageId":{"type":"string"},"quote":{"type":"string"}}}}}}}}""".replace("\n", "");

    private final ExamContext ctx;
    private final QuestionBank bank;
    private final ExamService exams;
    private final ModelJson model;
    private final JobEngine engine;

    ExamGenerator(ExamContext ctx, QuestionBank bank, ExamService exams, ModelJson model, JobEngine engine) {
        this.ctx = ctx;
        this.bank = bank;
        this.exams = exams;
        this.model = model;
        this.engine = engine;
        engine.register(KIND, KindOptions.DEFAULTS.withMaxAttempts(1), this::run);
    }

    /** Queues a generation for a teacher of the course. */
    public Enqueued generate(Principal caller, GenerateRequest request) {
        request.check();
        ctx.requireTeacher(caller, request.courseId());
        if (ctx.courses().passages(request.courseId(), request.sourceIds(), 1).isEmpty()) {
            throw ServiceException.badRequest("the course has no text in the chosen lectures or materials yet");
        }
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("request", request.toJson());
        payload.put("userId", caller.userId());
        payload.put("role", caller.role().wireName());
        return engine.enqueue(NewJob.of(KIND, Json.write(payload)).owner(caller.userId()));
    }

    /** One candidate the model proposed and why it was dropped (empty reasons = kept). */
    record Verdict(QuestionContent content, List<String> reasons) {}

    String run(JobContext job) throws Exception {
        long started = System.nanoTime();
        JsonNode payload = Json.MAPPER.readTree(job.payload());
        GenerateRequest request = GenerateRequest.fromJson(payload.get("request"), null);
        Principal caller = new Principal(payload.path("userId").asText(),
                Role.parse(payload.path("role").asText()).orElse(Role.STUDENT), null);
        List<ExamCourses.Passage> passages = ctx.courses().passages(request.courseId(), request.sourceIds(),
                MAX_PASSAGES);
        if (passages.isEmpty()) {
            throw new PermanentJobFailure("the course has no text in the chosen lectures or materials");
        }
        List<String> bankStems = ctx.db().query(c -> bank.stems(c, request.courseId(), null));
        Map<QuestionType, Integer> missing = new EnumMap<>(request.countsInOrder());
        int requested = missing.values().stream().mapToInt(Integer::intValue).sum();
        List<QuestionContent> kept = new ArrayList<>();
        List<Map<String, Object>> dropped = new ArrayList<>();
        long modelNanos = 0;
        int rounds = 0;
        while (!missing.isEmpty() && rounds < ROUNDS) {
            rounds++;
            job.checkCancelled();
            job.progress(100.0 * (rounds - 1) / ROUNDS, "round " + rounds + ": asking the model", null);
            long t0 = System.nanoTime();
            JsonNode answer;
            try {
                answer = model.ask(request.model(), systemPrompt(), userPrompt(request, missing, passages, kept,
                        dropped), 900 + 500 * missing.values().stream().mapToInt(Integer::intValue).sum(),
                        ExamGenerator::validate, job::isCancelled);
            } catch (ModelJson.ModelJsonException e) {
                throw new PermanentJobFailure(e.code() + ": " + e.getMessage());
            } finally {
                modelNanos += System.nanoTime() - t0;
            }
            for (JsonNode qn : answer.path("questions")) {
                Verdict v = judge(qn, request, passages, bankStems, kept, missing);
                if (v.reasons().isEmpty()) {
                    kept.add(v.content());
                    missing.computeIfPresent(v.content().type(), (t, n) -> n > 1 ? n - 1 : null);
                } else {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("type", qn.path("type").asText());
                    d.put("stem", ModelJson.clip(qn.path("stem").asText(), 300));
                    d.put("reasons", v.reasons());
                    dropped.add(d);
                }
            }
        }
        if (kept.isEmpty()) {
            List<Object> reasons = dropped.stream().map(d -> d.get("reasons")).limit(5).toList();
            throw new PermanentJobFailure("no generated question passed the checks after " + rounds + " rounds: "
                    + reasons);
        }
        long now = ctx.now();
        List<Question> drafts = new ArrayList<>();
        for (QuestionContent qc : kept) {
            drafts.add(new Question(ExamContext.newId(), request.courseId(), Question.DRAFT, 1, qc, caller.userId(), now,
                    now));
        }
        String examId = ctx.db().transaction(c -> {
            bank.insertDrafts(c, drafts, job.jobId());
            if (request.examTitle() == null) {
                return null;
            }
            return exams.createIn(c, caller, request.courseId(), request.examTitle(),
                    drafts.stream().map(Question::id).toList()).id();
        });
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("questionIds", drafts.stream().map(Question::id).toList());
        result.put("examId", examId);
        result.put("requested", requested);
        result.put("kept", kept.size());
        result.put("missing", missing);
        result.put("dropped", dropped);
        result.put("rounds", rounds);
        result.put("modelMillis", modelNanos / 1_000_000);
        result.put("totalMillis", (System.nanoTime() - started) / 1_000_000);
        return Json.write(result);
    }

    /** Turns one schema-valid question into content and checks it; not asked for, ungrounded or duplicate → reasons. */
    private Verdict judge(JsonNode qn, GenerateRequest request, List<ExamCourses.Passage> passages,
                          List<String> bankStems, List<QuestionContent> kept, Map<QuestionType, Integer> missing) {
        QuestionType type = QuestionType.parse(qn.path("type").asText());
        List<Option> options = new ArrayList<>();
        for (JsonNode on : qn.path("options")) {
            options.add(new Option(on.path("id").asText(), on.path("text").asText(), on.path("correct").asBoolean(),
                    on.path("feedback").asText("")));
        }
        String quote = qn.path("citation").path("quote").asText();
        String passageId = qn.path("citation").path("passageId").asText();
        List<String> reasons = new ArrayList<>();
        ExamCourses.Passage source = null;
        for (ExamCourses.Passage p : passages) {
            if (p.id().equals(passageId) && QuestionChecks.quoted(quote, p.text())) {
                source = p;
            }
        }
        if (source == null) {
            for (ExamCourses.Passage p : passages) {
                if (source == null && QuestionChecks.quoted(quote, p.text())) {
                    source = p; // the quote is the course's, under another passage id: cite where it really is
                }
            }
        }
        if (source == null) {
            reasons.add("citation: the quote is not found in the course's passages (quote the passage verbatim)");
        }
        QuestionContent qc = new QuestionContent(type, "", qn.path("stem").asText(), options,
                qn.path("numericAnswer").isNumber() ? qn.path("numericAnswer").asDouble() : null,
                qn.path("tolerance").isNumber() ? qn.path("tolerance").asDouble() : null,
                qn.path("modelAnswer").asText(""), qn.path("explanation").asText(""), defaultPoints(type),
                request.difficulty(), request.bloom(), request.language(),
                new Citation(source == null ? passageId : source.id(), quote), null);
        if (!missing.containsKey(type)) {
            reasons.add("type: no more " + type.wire() + " questions were asked for");
        }
        reasons.addAll(QuestionChecks.check(qc));
        if (QuestionChecks.nearDuplicate(qc.stem(), bankStems)) {
            reasons.add("stem: a near-duplicate of a question already in the course's bank");
        } else if (QuestionChecks.nearDuplicate(qc.stem(), kept.stream().map(QuestionContent::stem).toList())) {
            reasons.add("stem: a near-duplicate of another generated question");
        }
        return new Verdict(qc, reasons);
    }

    static double defaultPoints(QuestionType type) {
        return switch (type) {
            case SHORT_ANSWER -> 2;
            case ESSAY -> 5;
            default -> 1;
        };
    }

    /** Schema conformance of the model's answer ({@link #SCHEMA}), as errors with JSON paths. */
    static List<String> validate(JsonNode root) {
        List<String> errors = new ArrayList<>();
        if (!root.isObject()) {
            return List.of("$: an object");
        }
        unknown(root, Set.of("questions"), "$", errors);
        JsonNode qs = root.path("questions");
        if (!qs.isArray()) {
            errors.add("$.questions: an array");
            return errors;
        }
        for (int i = 0; i < qs.size(); i++) {
            String at = "$.questions[" + i + "]";
            JsonNode q = qs.get(i);
            if (!q.isObject()) {
                errors.add(at + ": an object");
                continue;
            }
            unknown(q, QUESTION_FIELDS, at, errors);
            for (String f : QUESTION_FIELDS) {
                if (!q.has(f)) {
                    errors.add(at + "." + f + ": required");
                }
            }
            String type = q.path("type").asText("");
            if (!Set.of("single_choice", "multiple_select", "true_false", "numeric", "short_answer", "essay")
                    .contains(type)) {
                errors.add(at + ".type: one of single_choice, multiple_select, true_false, numeric, short_answer, "
                        + "essay");
            }
            requireType(q, "stem", JsonNode::isTextual, "a string", at, errors);
            requireType(q, "modelAnswer", JsonNode::isTextual, "a string", at, errors);
            requireType(q, "explanation", JsonNode::isTextual, "a string", at, errors);
            requireType(q, "numericAnswer", n -> n.isNumber() || n.isNull(), "a number or null", at, errors);
            requireType(q, "tolerance", n -> n.isNumber() || n.isNull(), "a number or null", at, errors);
            JsonNode options = q.path("options");
            if (q.has("options") && !options.isArray()) {
                errors.add(at + ".options: an array");
            }
            for (int j = 0; j < options.size() && options.isArray(); j++) {
                String oat = at + ".options[" + j + "]";
                JsonNode o = options.get(j);
                if (!o.isObject()) {
                    errors.add(oat + ": an object");
                    continue;
                }
                unknown(o, OPTION_FIELDS, oat, errors);
                requireType(o, "id", JsonNode::isTextual, "a string", oat, errors);
                requireType(o, "text", JsonNode::isTextual, "a string", oat, errors);
                requireType(o, "correct", JsonNode::isBoolean, "a boolean", oat, errors);
                requireType(o, "feedback", JsonNode::isTextual, "a string", oat, errors);
            }
            JsonNode citation = q.path("citation");
            if (q.has("citation")) {
                if (!citation.isObject()) {
                    errors.add(at + ".citation: an object");
                } else {
                    unknown(citation, Set.of("passageId", "quote"), at + ".citation", errors);
                    requireType(citation, "passageId", JsonNode::isTextual, "a string", at + ".citation", errors);
                    requireType(citation, "quote", JsonNode::isTextual, "a string", at + ".citation", errors);
                }
            }
        }
        return errors;
    }

    private static void requireType(JsonNode obj, String field, java.util.function.Predicate<JsonNode> ok, String what,
                                    String at, List<String> errors) {
        if (!obj.has(field) || !ok.test(obj.get(field))) {
            errors.add(at + "." + field + ": " + what);
        }
    }

    private static void unknown(JsonNode obj, Set<String> allowed, String at, List<String> errors) {
        for (Iterator<String> it = obj.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                errors.add(at + "." + f + ": not allowed (additionalProperties is false)");
            }
        }
    }

    private static String systemPrompt() {
        return "You write exam questions for a university course, only about what the course's own passages say. "
                + "Answer with one JSON object and nothing else (no prose, no code fences). It must match this JSON "
                + "Schema:\n" + SCHEMA + "\nRules: every question's citation names the passage it tests (its id in "
                + "square brackets) and quotes one sentence or phrase of it verbatim, character for character. "
                + "single_choice: 3-5 distinct options, exactly one correct. multiple_select: 3-6 distinct options, "
                + "one or more correct. true_false: exactly the options {\"id\":\"true\",\"text\":\"True\"} and "
                + "{\"id\":\"false\",\"text\":\"False\"}, one correct. Never use \"all of the above\" or \"none of the "
                + "above\". numeric: no options, numericAnswer and a small absolute tolerance. short_answer and essay: "
                + "no options, a modelAnswer. Use null for numericAnswer and tolerance unless numeric. Write Unicode "
                + "symbols (CO₂, ∫, ≤), not LaTeX.";
    }

    private static String userPrompt(GenerateRequest r, Map<QuestionType, Integer> missing,
                                     List<ExamCourses.Passage> passages, List<QuestionContent> kept,
                                     List<Map<String, Object>> dropped) {
        StringBuilder b = new StringBuilder("Write exactly these questions: ");
        missing.forEach((t, n) -> b.append(n).append(' ').append(t.wire()).append(", "));
        b.setLength(b.length() - 2);
        b.append(".\nDifficulty: ").append(r.difficulty().wire()).append(". Bloom level: ").append(r.bloom().wire())
                .append(". Language of the questions: ").append(r.language()).append(".\nPassages:");
        for (ExamCourses.Passage p : passages) {
            b.append("\n[").append(p.id()).append("] (").append(p.title()).append(") ")
                    .append(ModelJson.clip(p.text().replaceAll("\\s+", " ").strip(), MAX_PASSAGE_CHARS));
        }
        if (!kept.isEmpty()) {
            b.append("\nAlready written (do not repeat them):");
            kept.forEach(q -> b.append("\n- ").append(ModelJson.clip(q.stem(), 200)));
        }
        if (!dropped.isEmpty()) {
            b.append("\nRejected earlier, for these reasons (avoid them):");
            dropped.stream().skip(Math.max(0, dropped.size() - 10))
                    .forEach(d -> b.append("\n- ").append(d.get("stem")).append(": ").append(d.get("reasons")));
        }
        return b.toString();
    }
}
