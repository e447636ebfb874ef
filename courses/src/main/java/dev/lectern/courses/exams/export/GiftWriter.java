package dev.lectern.courses.exams.export;

import dev.lectern.courses.exams.Question;
import dev.lectern.courses.exams.QuestionContent;
import dev.lectern.courses.exams.QuestionContent.Option;
import java.util.List;

/**
 * Moodle's GIFT format, written as Moodle's {@code qformat_gift::writequestion} writes it (question comment line,
 * {@code ::name::}, text, answer block, blank line), with its escaping of {@code \ ~ = # { } :} and line breaks.
 * Multiple select gives each key {@code 100/k} percent and each distractor {@code -100/(n-k)}; a short answer's
 * wrong options (such as {@code *}) are written at 0 %.
 */
public final class GiftWriter {
    private GiftWriter() {}

    public static String write(List<Question> questions) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < questions.size(); i++) {
            b.append(question(questions.get(i), i + 1));
        }
        return b.toString();
    }

    /** One question; {@code number} names it when it has no name of its own. */
    public static String question(Question q, int number) {
        QuestionContent c = q.content();
        String name = c.name().isEmpty() ? "Q" + number : c.name();
        StringBuilder b = new StringBuilder("// question: ").append(q.id()).append("  name: ").append(name)
                .append('\n');
        b.append("::").append(escape(name)).append("::").append(escape(c.stem()));
        switch (c.type()) {
            case ESSAY -> b.append("{}\n");
            case TRUE_FALSE -> {
                Option key = c.keys().get(0);
                Option other = c.options().stream().filter(o -> !o.correct()).findFirst().orElseThrow();
                String right = escape(key.feedback());
                String wrong = escape(other.feedback());
                b.append('{').append("true".equals(key.id()) ? "TRUE" : "FALSE");
                if (!wrong.isEmpty()) {
                    b.append('#').append(wrong);
                } else if (!right.isEmpty()) {
                    b.append('#');
                }
                if (!right.isEmpty()) {
                    b.append('#').append(right);
                }
                b.append("}\n");
            }
            case SINGLE_CHOICE -> {
                b.append("{\n");
                for (Option o : c.options()) {
                    b.append('\t').append(o.correct() ? '=' : '~').append(escape(o.text())).append(feedback(o));
                }
                generalFeedback(b, c).append("}\n");
            }
            case MULTIPLE_SELECT -> {
                b.append("{\n");
                long keys = c.keys().size();
                long wrong = c.options().size() - keys;
                for (Option o : c.options()) {
                    double fraction = o.correct() ? 1.0 / keys : -1.0 / wrong;
                    b.append("\t~%").append(ExportNumbers.percent(fraction)).append('%').append(escape(o.text()))
                            .append(feedback(o));
                }
                generalFeedback(b, c).append("}\n");
            }
            case NUMERIC -> {
                b.append("{#\n\t=%100%").append(ExportNumbers.format(c.numericAnswer())).append(':')
                        .append(ExportNumbers.format(c.tolerance())).append("#\n");
                generalFeedback(b, c).append("}\n");
            }
            case SHORT_ANSWER -> {
                b.append("{\n");
                for (Option o : c.options()) {
                    b.append("\t=%").append(o.correct() ? "100" : "0").append('%').append(escape(o.text())).append('#')
                            .append(escape(o.feedback())).append('\n');
                }
                generalFeedback(b, c).append("}\n");
            }
        }
        return b.append('\n').toString();
    }

    private static String feedback(Option o) {
        return (o.feedback().isEmpty() ? "" : "#" + escape(o.feedback())) + "\n";
    }

    private static StringBuilder generalFeedback(StringBuilder b, QuestionContent c) {
        if (!c.explanation().isEmpty()) {
            b.append("\t####").append(escape(c.explanation())).append('\n');
        }
        return b;
    }

    /** GIFT's reserved characters escaped with a backslash; line breaks as {@code \n}. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\\' -> b.append("\\\\");
                case '~', '=', '#', '{', '}', ':' -> b.append('\\').append(ch);
                case '\n' -> b.append("\\n");
                case '\r' -> { }
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
