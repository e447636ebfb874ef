package dev.lectern.courses.exams;

import dev.lectern.courses.exams.QuestionContent.Option;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules a question must pass before it is kept, whoever wrote it: options distinct, exactly one key for single
 * choice (and true/false), at least one for multiple select, no "all / none of the above" key, a finite numeric key
 * with a tolerance that does not swallow the answer, and no near-duplicate of a question already in the bank.
 * Each error names the field it is about, so a model can be told what to fix.
 */
public final class QuestionChecks {
    public static final int MAX_STEM = 4000;
    public static final int MAX_OPTION = 500;
    public static final int MAX_OPTIONS = 8;
    /** Word-bigram Jaccard similarity at which two stems count as the same question. */
    public static final double DUPLICATE_SIMILARITY = 0.6;
    /** Word-set Jaccard similarity at which two stems count as the same question (a word swapped, say). */
    public static final double DUPLICATE_WORDS = 0.75;
    private static final Pattern CATCH_ALL = Pattern.compile(
            "^(all|none|both|neither)( of)?( the)? (above|these|options|answers|previous)\\b.*"
                    + "|^(all|none) (are|is) (correct|true)\\b.*");
    private static final Pattern SPACE = Pattern.compile("\\s+");

    private QuestionChecks() {}

    /** The errors of one question's content; empty when it may be kept. */
    public static List<String> check(QuestionContent q) {
        List<String> errors = new ArrayList<>();
        if (q.type() == null) {
            errors.add("type: missing");
            return errors;
        }
        if (q.stem().isEmpty() || q.stem().length() > MAX_STEM) {
            errors.add("stem: 1-" + MAX_STEM + " characters");
        }
        if (!(q.points() > 0 && q.points() <= 100)) {
            errors.add("points: more than 0, at most 100");
        }
        if (q.language().length() > 16) {
            errors.add("language: a language tag such as en or de-CH");
        }
        switch (q.type()) {
            case SINGLE_CHOICE, MULTIPLE_SELECT, TRUE_FALSE -> checkChoices(q, errors);
            case NUMERIC -> checkNumeric(q, errors);
            case SHORT_ANSWER -> {
                if (q.rubricId() == null && q.options().isEmpty() && q.modelAnswer().isBlank()) {
                    errors.add("options: a short answer needs accepted answers, a model answer or a rubric");
                }
                checkDistinct(q.options(), errors);
            }
            case ESSAY -> {
                if (!q.options().isEmpty()) {
                    errors.add("options: an essay has none");
                }
            }
        }
        return errors;
    }

    private static void checkChoices(QuestionContent q, List<String> errors) {
        List<Option> options = q.options();
        if (q.type() == QuestionType.TRUE_FALSE) {
            Set<String> ids = new HashSet<>();
            options.forEach(o -> ids.add(o.id()));
            if (options.size() != 2 || !ids.equals(Set.of("true", "false"))) {
                errors.add("options: true/false has exactly the options \"true\" and \"false\"");
            }
        } else if (options.size() < 2 || options.size() > MAX_OPTIONS) {
            errors.add("options: 2-" + MAX_OPTIONS + " options");
        }
        checkDistinct(options, errors);
        long keys = options.stream().filter(Option::correct).count();
        if (q.type() == QuestionType.MULTIPLE_SELECT) {
            if (keys < 1) {
                errors.add("options: multiple select needs at least one correct option");
            }
        } else if (keys != 1) {
            errors.add("options: exactly one option must be correct (found " + keys + ")");
        }
        for (Option o : options) {
            if (o.correct() && CATCH_ALL.matcher(normalize(o.text())).matches()) {
                errors.add("options: the key \"" + o.text() + "\" is an all/none-of-the-above answer; write the "
                        + "answer itself");
            }
        }
    }

    private static void checkDistinct(List<Option> options, List<String> errors) {
        Set<String> ids = new HashSet<>();
        Set<String> texts = new HashSet<>();
        for (Option o : options) {
            if (o.id() == null || !o.id().matches("[A-Za-z0-9_-]{1,40}")) {
                errors.add("options: id \"" + o.id() + "\" must be 1-40 letters, digits, _ or -");
            } else if (!ids.add(o.id())) {
                errors.add("options: id \"" + o.id() + "\" appears twice");
            }
            String text = normalize(o.text());
            if (text.isEmpty() || o.text().length() > MAX_OPTION) {
                errors.add("options: text of \"" + o.id() + "\" must be 1-" + MAX_OPTION + " characters");
            } else if (!texts.add(text)) {
                errors.add("options: \"" + o.text() + "\" appears twice; options must be distinct");
            }
        }
    }

    private static void checkNumeric(QuestionContent q, List<String> errors) {
        Double answer = q.numericAnswer();
        Double tolerance = q.tolerance();
        if (answer == null || !Double.isFinite(answer)) {
            errors.add("numericAnswer: a finite number");
        }
        if (tolerance == null || !Double.isFinite(tolerance) || tolerance < 0) {
            errors.add("tolerance: a finite number, 0 or more");
        } else if (answer != null && Double.isFinite(answer) && tolerance > Math.max(Math.abs(answer) / 2, 0.5)) {
            errors.add("tolerance: " + tolerance + " is too wide for the answer " + answer
                    + " (at most half its magnitude)");
        }
        if (!q.options().isEmpty()) {
            errors.add("options: a numeric question has none");
        }
    }

    /**
     * True when {@code stem} is a near-duplicate of any of {@code others}: their word bigrams overlap by
     * {@value #DUPLICATE_SIMILARITY} or their words by {@value #DUPLICATE_WORDS} (Jaccard).
     */
    public static boolean nearDuplicate(String stem, List<String> others) {
        Set<String> a = bigrams(stem);
        Set<String> aw = words(stem);
        for (String other : others) {
            if (similarity(a, bigrams(other)) >= DUPLICATE_SIMILARITY
                    || similarity(aw, words(other)) >= DUPLICATE_WORDS) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> words(String text) {
        Set<String> out = new HashSet<>(List.of(normalize(text).replaceAll("[^\\p{L}\\p{N} ]", " ").strip()
                .split(" +")));
        out.remove("");
        return out;
    }

    /** Jaccard similarity of the two texts' word bigrams (case, accents and punctuation ignored). */
    public static double similarity(String x, String y) {
        return similarity(bigrams(x), bigrams(y));
    }

    private static double similarity(Set<String> a, Set<String> b) {
        if (a.isEmpty() && b.isEmpty()) {
            return 1;
        }
        Set<String> union = new HashSet<>(a);
        union.addAll(b);
        Set<String> both = new HashSet<>(a);
        both.retainAll(b);
        return (double) both.size() / union.size();
    }

    private static Set<String> bigrams(String text) {
        String[] words = normalize(text).replaceAll("[^\\p{L}\\p{N} ]", " ").strip().split(" +");
        Set<String> out = new HashSet<>();
        if (words.length == 1) {
            out.add(words[0]);
        }
        for (int i = 0; i + 1 < words.length; i++) {
            out.add(words[i] + " " + words[i + 1]);
        }
        out.remove("");
        return out;
    }

    /** Lower case, accents stripped, whitespace collapsed: how texts are compared. */
    public static String normalize(String s) {
        if (s == null) {
            return "";
        }
        String d = Normalizer.normalize(s, Normalizer.Form.NFKD).replaceAll("\\p{M}", "");
        return SPACE.matcher(d.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
    }

    /**
     * True when {@code quote} occurs in {@code text}, comparing with {@link #normalize} and ignoring typographic quote
     * styles; a quote shorter than 8 characters never counts (it proves nothing).
     */
    public static boolean quoted(String quote, String text) {
        String q = unquote(normalize(quote));
        return q.length() >= 8 && unquote(normalize(text)).contains(q);
    }

    private static String unquote(String s) {
        return s.replace('’', '\'').replace('‘', '\'').replace('“', '"').replace('”', '"').replace('–', '-')
                .replace('—', '-');
    }
}
