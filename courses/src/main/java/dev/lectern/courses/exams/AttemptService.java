package dev.lectern.courses.exams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.core.json.Json;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.NewJob;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Taking an exam. A student of the course starts an attempt inside the window (one per exam; starting again returns
 * it); its deadline is the earlier of the window's end and start + time limit, by the server clock. The student sees
 * the questions in an order shuffled by the attempt's seed, options shuffled too (true/false keeps its order), never
 * the keys. Answers autosave until the deadline; a save after it is refused ({@code attempt_closed}). Submission is
 * final: objective questions are graded at once and written ones queued for the model ({@value GradingService#KIND}).
 */
public final class AttemptService {
    private static final SecureRandom SEEDS = new SecureRandom();
    private final ExamContext ctx;
    private final ExamService exams;
    private final JobEngine engine;

    AttemptService(ExamContext ctx, ExamService exams, JobEngine engine) {
        this.ctx = ctx;
        this.exams = exams;
        this.engine = engine;
    }

    /** What the student sees of an attempt. */
    public record AttemptView(String attemptId, String examId, String title, long startedAt, long deadlineAt,
                              Long submittedAt, long serverNow, List<ShownQuestion> questions,
                              Map<String, JsonNode> responses) {}

    public record ShownQuestion(String questionId, int number, String type, String stem, double points,
                                List<ShownOption> options) {}

    public record ShownOption(String id, String text) {}

    public AttemptView start(Principal caller, String examId) {
        return ctx.db().transaction(c -> {
            Exam e = takeable(c, caller, examId);
            Attempt a = ctx.repo().attemptOf(c, examId, caller.userId()).orElse(null);
            long now = ctx.now();
            if (a == null) {
                if (now < e.opensAt() || now >= e.closesAt()) {
                    throw ExamContext.conflict("exam_not_open", "the exam is open from " + e.opensAt() + " to "
                            + e.closesAt() + " (server clock, epoch ms); it is now " + now);
                }
                a = new Attempt(ExamContext.newId(), examId, caller.userId(), SEEDS.nextLong(), now,
                        Math.min(e.closesAt(), now + e.timeLimitMillis()), null);
                ctx.repo().insertAttempt(c, a);
            }
            return view(c, e, a);
        });
    }

    public AttemptView view(Principal caller, String attemptId) {
        return ctx.db().query(c -> {
            Attempt a = own(c, caller, attemptId);
            return view(c, ctx.repo().exam(c, a.examId()).orElseThrow(), a);
        });
    }

    /** Autosaves one response; refused once submitted or past the deadline. Returns the save time. */
    public long save(Principal caller, String attemptId, String questionId, JsonNode response) {
        return ctx.db().transaction(c -> {
            Attempt a = own(c, caller, attemptId);
            long now = ctx.now();
            if (a.submitted()) {
                throw ExamContext.conflict("attempt_submitted", "the attempt was submitted; answers are final");
            }
            if (now > a.deadlineAt()) {
                throw ExamContext.conflict("attempt_closed", "the time is up: the deadline was " + a.deadlineAt()
                        + " and the server clock says " + now);
            }
            Exam e = ctx.repo().exam(c, a.examId()).orElseThrow();
            Question q = exams.questions(c, e).stream().filter(x -> x.id().equals(questionId)).findFirst()
                    .orElseThrow(() -> ServiceException.notFound("no such question in this exam"));
            ctx.repo().saveResponse(c, a.id(), questionId, Json.write(Responses.check(q.content(), response)), now);
            return now;
        });
    }

    /** Submits (final). What was saved before the deadline counts; a second submit is a 409. */
    public Attempt submit(Principal caller, String attemptId) {
        return ctx.db().transaction(c -> {
            Attempt a = own(c, caller, attemptId);
            if (a.submitted()) {
                throw ExamContext.conflict("attempt_submitted", "the attempt was already submitted");
            }
            long at = Math.min(ctx.now(), a.deadlineAt());
            return finish(c, a, at);
        });
    }

    /** Submits every attempt of the exam whose deadline passed without a submission (at its deadline). */
    void closeExpired(Connection c, Exam e) throws SQLException {
        long now = ctx.now();
        for (Attempt a : ctx.repo().attempts(c, e.id())) {
            if (!a.submitted() && now > a.deadlineAt()) {
                finish(c, a, a.deadlineAt());
            }
        }
    }

    private Attempt finish(Connection c, Attempt a, long at) throws SQLException {
        if (!ctx.repo().submit(c, a.id(), at)) {
            throw ExamContext.conflict("attempt_submitted", "the attempt was already submitted");
        }
        Exam e = ctx.repo().exam(c, a.examId()).orElseThrow();
        boolean needsModel = false;
        for (Question q : exams.questions(c, e)) {
            Answer answer = ctx.repo().answer(c, a.id(), q.id()).orElse(null);
            if (answer == null) {
                ctx.repo().saveResponse(c, a.id(), q.id(), "{}", at);
            }
            if (Responses.byRubric(q.content())) {
                needsModel = true;
            } else {
                JsonNode r = Responses.tree(answer == null ? "{}" : answer.response());
                ctx.repo().autoGrade(c, a.id(), q.id(), Responses.grade(q.content(), r));
            }
        }
        if (needsModel) {
            engine.enqueue(c, NewJob.of(GradingService.KIND, Json.write(Map.of("attemptId", a.id())))
                    .owner(a.studentId()).idempotencyKey("exams.grade:" + a.id()));
        }
        return new Attempt(a.id(), a.examId(), a.studentId(), a.seed(), a.startedAt(), a.deadlineAt(), at);
    }

    private AttemptView view(Connection c, Exam e, Attempt a) throws SQLException {
        List<Question> questions = new ArrayList<>(exams.questions(c, e));
        Collections.shuffle(questions, new Random(a.seed()));
        List<ShownQuestion> shown = new ArrayList<>();
        for (Question q : questions) {
            List<ShownOption> options = new ArrayList<>();
            q.content().options().forEach(o -> options.add(new ShownOption(o.id(), o.text())));
            if (q.content().type() == QuestionType.SHORT_ANSWER) {
                options.clear(); // accepted answers are keys
            } else if (q.content().type() != QuestionType.TRUE_FALSE) {
                Collections.shuffle(options, new Random(a.seed() * 31 + q.id().hashCode()));
            }
            shown.add(new ShownQuestion(q.id(), shown.size() + 1, q.content().type().wire(), q.content().stem(),
                    q.content().points(), options));
        }
        Map<String, JsonNode> responses = new LinkedHashMap<>();
        for (Answer ans : ctx.repo().answers(c, a.id())) {
            responses.put(ans.questionId(), Responses.tree(ans.response()));
        }
        return new AttemptView(a.id(), e.id(), e.title(), a.startedAt(), a.deadlineAt(), a.submittedAt(), ctx.now(),
                shown, responses);
    }

    private Exam takeable(Connection c, Principal caller, String examId) throws SQLException {
        Exam e = ctx.repo().exam(c, examId).orElseThrow(() -> ServiceException.notFound("exam not found"));
        if (!e.published() || !ctx.courses().mayTake(caller, e.courseId())) {
            throw ServiceException.notFound("exam not found");
        }
        return e;
    }

    private Attempt own(Connection c, Principal caller, String attemptId) throws SQLException {
        return ctx.repo().attempt(c, attemptId).filter(a -> a.studentId().equals(caller.userId()))
                .orElseThrow(() -> ServiceException.notFound("attempt not found"));
    }
}
