package dev.lectern.ai.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TermVectors;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.BytesRef;

/**
 * One Lucene index per user under {@code root/<user>}: passages with their file id, file name and page, searched with
 * BM25 (Lucene's default similarity) over English-analysed text. At most {@code maxOpen} users' indexes are open at
 * once (least recently used closed first). Every method blocks (files): call from the blocking executor. Callers
 * serialise writes per user ({@link RetrievalService} does).
 */
public final class DocumentIndex implements AutoCloseable {
    private static final Pattern SAFE_USER = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final int MAX_QUERY_TERMS = 64;

    private final Path root;
    /**
     * Words that say nothing about the subject of a question: Lucene's English stop words, plus question and
     * request words, so that "how do ferns reproduce?" is judged on "ferns" and "reproduce".
     */
    static final CharArraySet STOP_WORDS;

    static {
        CharArraySet s = new CharArraySet(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, true);
        s.addAll(List.of("what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did",
                "done", "can", "could", "would", "should", "shall", "may", "might", "must", "has", "have", "had",
                "am", "were", "been", "being", "i", "me", "my", "mine", "you", "your", "we", "our", "us", "he", "she",
                "him", "her", "his", "its", "them", "please", "tell", "explain", "describe", "say", "says", "said",
                "about", "from", "according", "mean", "means", "meaning", "give", "show", "know", "find", "some",
                "any", "all", "so", "than", "too", "very", "just", "also", "again", "here", "up", "down", "out",
                "over", "under", "between", "because", "while", "during", "before", "after", "above", "below"));
        STOP_WORDS = CharArraySet.unmodifiableSet(s);
    }

    /** Passage text: analysed, stored, with term vectors so the relevance threshold needs no re-analysis. */
    private static final FieldType TEXT = new FieldType(TextField.TYPE_STORED);

    static {
        TEXT.setStoreTermVectors(true);
        TEXT.freeze();
    }

    private final Analyzer analyzer = new EnglishAnalyzer(STOP_WORDS);
    private final Map<String, UserIndex> open;

    public DocumentIndex(Path root, int maxOpen) {
        try {
            this.root = Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create index directory " + root, e);
        }
        this.open = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, UserIndex> eldest) {
                if (size() > maxOpen) {
                    eldest.getValue().close();
                    return true;
                }
                return false;
            }
        };
    }

    /** The user's index directory: the id itself when it is a safe name, else its SHA-256. */
    public Path directory(String userId) {
        if (SAFE_USER.matcher(userId).matches()) {
            return root.resolve(userId);
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(userId.getBytes(StandardCharsets.UTF_8));
            return root.resolve("u-" + HexFormat.of().formatHex(h));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** True when the user has no committed index on disk (never built, or its directory was deleted). */
    public boolean missing(String userId) {
        Path dir = directory(userId);
        if (!Files.isDirectory(dir)) {
            closeUser(userId);
            return true;
        }
        synchronized (this) {
            UserIndex open = this.open.get(userId);
            if (open != null && open.committed) {
                return false;
            }
        }
        try (FSDirectory d = FSDirectory.open(dir)) {
            return !DirectoryReader.indexExists(d);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds one file's passages and commits (durable, visible to the next search). */
    public void add(String userId, String fileId, String filename, List<Passages.Chunk> chunks) {
        add(userId, fileId, filename, chunks, true);
    }

    /**
     * Adds one file's passages; without {@code commit} they become durable with the next commit (a rebuild adds many
     * files and commits once: a commit syncs to disk).
     */
    public void add(String userId, String fileId, String filename, List<Passages.Chunk> chunks, boolean commit) {
        UserIndex u = user(userId);
        List<Document> docs = new ArrayList<>(chunks.size());
        for (Passages.Chunk c : chunks) {
            Document d = new Document();
            d.add(new StringField("file_id", fileId, Field.Store.YES));
            d.add(new StoredField("filename", filename));
            d.add(new StoredField("page", c.page()));
            d.add(new Field("text", c.text(), TEXT));
            docs.add(d);
        }
        try {
            u.writer.addDocuments(docs);
            if (commit) {
                u.commit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot index file " + fileId, e);
        }
    }

    /** Commits what was added without a commit (and creates the user's index if it has none yet). */
    public void create(String userId) {
        try {
            user(userId).commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes every passage of a file. */
    public void deleteFile(String userId, String fileId) {
        if (!Files.isDirectory(directory(userId))) {
            return;
        }
        UserIndex u = user(userId);
        try {
            u.writer.deleteDocuments(new Term("file_id", fileId));
            u.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete file " + fileId + " from the index", e);
        }
    }

    /**
     * The best passages for a question, best first: BM25 ranks them, and only those holding at least
     * {@code minCoverage} of the question's distinct terms are kept (the relevance threshold).
     */
    public List<Passage> search(String userId, String question, int limit, double minCoverage) {
        Set<String> terms = terms(question);
        if (terms.isEmpty() || limit <= 0 || !Files.isDirectory(directory(userId))) {
            return List.of();
        }
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        terms.stream().limit(MAX_QUERY_TERMS)
                .forEach(t -> q.add(new TermQuery(new Term("text", t)), BooleanClause.Occur.SHOULD));
        UserIndex u = user(userId);
        List<Passage> out = new ArrayList<>();
        try {
            IndexSearcher s = u.searchers.acquire();
            try {
                TopDocs top = s.search(q.build(), limit * 4);
                TermVectors vectors = s.getIndexReader().termVectors();
                for (ScoreDoc sd : top.scoreDocs) {
                    if ((double) matched(vectors.get(sd.doc, "text"), terms) / terms.size() + 1e-9 < minCoverage) {
                        continue;
                    }
                    Document d = s.storedFields().document(sd.doc);
                    String text = d.get("text");
                    out.add(new Passage(d.get("file_id"), d.get("filename"),
                            d.getField("page").numericValue().intValue(), text, sd.score));
                    if (out.size() == limit) {
                        break;
                    }
                }
            } finally {
                u.searchers.release(s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("index search failed", e);
        }
        return out;
    }

    /** How many of the terms the passage's term vector holds. */
    private static long matched(Terms vector, Set<String> terms) throws IOException {
        if (vector == null) {
            return 0;
        }
        TermsEnum te = vector.iterator();
        long n = 0;
        for (String t : terms) {
            if (te.seekExact(new BytesRef(t))) {
                n++;
            }
        }
        return n;
    }

    /** Passages in the user's index (for tests and the benchmark). */
    public int count(String userId) {
        try {
            UserIndex u = user(userId);
            IndexSearcher s = u.searchers.acquire();
            try {
                return s.getIndexReader().numDocs();
            } finally {
                u.searchers.release(s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The analysed, distinct terms of a text (lower-cased, stemmed, without stop words). */
    Set<String> terms(String text) {
        Set<String> out = new LinkedHashSet<>();
        try (TokenStream ts = analyzer.tokenStream("text", text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                out.add(term.toString());
            }
            ts.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private synchronized UserIndex user(String userId) {
        UserIndex u = open.get(userId);
        if (u != null && !Files.isDirectory(u.dir)) {
            open.remove(userId).close(); // deleted under us: start again from an empty directory
            u = null;
        }
        if (u == null) {
            u = new UserIndex(directory(userId), analyzer);
            open.put(userId, u);
        }
        return u;
    }

    private synchronized void closeUser(String userId) {
        UserIndex u = open.remove(userId);
        if (u != null) {
            u.close();
        }
    }

    @Override
    public synchronized void close() {
        for (Iterator<UserIndex> it = open.values().iterator(); it.hasNext(); ) {
            it.next().close();
            it.remove();
        }
        analyzer.close();
    }

    private static final class UserIndex {
        final Path dir;
        final FSDirectory directory;
        final IndexWriter writer;
        final SearcherManager searchers;

        UserIndex(Path dir, Analyzer analyzer) {
            this.dir = dir;
            try {
                Files.createDirectories(dir);
                this.directory = FSDirectory.open(dir);
                this.committed = DirectoryReader.indexExists(directory);
                this.writer = new IndexWriter(directory, new IndexWriterConfig(analyzer)
                        .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
                this.searchers = new SearcherManager(writer, null);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open index " + dir, e);
            }
        }

        volatile boolean committed;

        void commit() throws IOException {
            writer.commit();
            committed = true;
            searchers.maybeRefreshBlocking();
        }

        void close() {
            try {
                searchers.close();
                writer.close();
                directory.close();
            } catch (IOException | RuntimeException e) {
                // a directory deleted under us cannot be closed cleanly; nothing is lost that the store cannot rebuild
            }
        }
    }
}
