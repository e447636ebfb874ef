package dev.lectern.ai.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
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
 * One Lucene index per owner under {@code root/<owner>}: passages with their file id, file name and page, searched with
 * BM25 (Lucene's default similarity) over English-analysed text, plus one entry per file with the version it was
 * indexed at; each commit records the catalogue generation the index reflects (commit user data), so a node can tell
 * whether it is behind the SQL catalogue and which files differ. At most {@code maxOpen} owners' indexes are open at
 * once (least recently used closed first). Every method blocks (files): call from the blocking executor. Callers
 * serialise writes per owner ({@link RetrievalService} does).
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

    /** {@link #generation} of an index without a recorded generation. */
    public static final long UNTRACKED = -1;
    private static final String GENERATION = "lectern.generation";
    private static final String FILE_ID = "file_id";
    private static final String VERSION = "version";
    /** Marks the one entry per file that records its version (passages have no kind). */
    private static final String KIND = "kind";
    private static final String KIND_FILE = "file";

    private final Analyzer analyzer = new EnglishAnalyzer(STOP_WORDS);
    private final Map<String, UserIndex> open;
    private boolean closed;

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

    /** True when this node holds an index of the owner on disk (built or being built). */
    public boolean exists(String owner) {
        return Files.isDirectory(directory(owner));
    }

    /**
     * The generation of the catalogue the owner's index reflects, as recorded with its commits; 0 for an index this
     * node has not built yet, {@link #UNTRACKED} for an index written before generations were recorded (it cannot be
     * compared file by file: rebuild it).
     */
    public long generation(String owner) {
        return user(owner).generation;
    }

    /** The files the owner's index holds, with the version each was indexed at. */
    public Map<String, Long> files(String owner) {
        UserIndex u = user(owner);
        Map<String, Long> out = new HashMap<>();
        try {
            IndexSearcher s = u.searchers.acquire();
            try {
                StoredFields stored = s.storedFields();
                TopDocs all = s.search(new TermQuery(new Term(KIND, KIND_FILE)), Math.max(1, s.getIndexReader().numDocs()));
                for (ScoreDoc sd : all.scoreDocs) {
                    Document d = stored.document(sd.doc);
                    out.put(d.get(FILE_ID), d.getField(VERSION).numericValue().longValue());
                }
            } finally {
                u.searchers.release(s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /**
     * Replaces the file's passages (and its entry with the version it was indexed at) with these, atomically; durable
     * and searchable after the next {@link #commit}.
     */
    public void put(String owner, String fileId, long version, String filename, List<Passages.Chunk> chunks) {
        List<Document> docs = new ArrayList<>(chunks.size() + 1);
        Document entry = new Document();
        entry.add(new StringField(KIND, KIND_FILE, Field.Store.NO));
        entry.add(new StringField(FILE_ID, fileId, Field.Store.YES));
        entry.add(new StoredField(VERSION, version));
        docs.add(entry);
        for (Passages.Chunk c : chunks) {
            Document d = new Document();
            d.add(new StringField(FILE_ID, fileId, Field.Store.YES));
            d.add(new StoredField("filename", filename));
            d.add(new StoredField("page", c.page()));
            d.add(new Field("text", c.text(), TEXT));
            docs.add(d);
        }
        try {
            user(owner).writer.updateDocuments(new Term(FILE_ID, fileId), docs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot index file " + fileId, e);
        }
    }

    /** Removes every passage of a file; durable and gone from searches after the next {@link #commit}. */
    public void remove(String owner, String fileId) {
        try {
            user(owner).writer.deleteDocuments(new Term(FILE_ID, fileId));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete file " + fileId + " from the index", e);
        }
    }

    /** Removes everything (before an untracked index is rebuilt). */
    public void removeAll(String owner) {
        try {
            user(owner).writer.deleteAll();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Commits what was put and removed, recording that the index reflects the catalogue at {@code generation}, and
     * makes it visible to searches. A commit with nothing to write only notes the generation (it is written with the
     * next commit: after a crash the index looks older than it is and is compared again, never newer).
     */
    public void commit(String owner, long generation) {
        try {
            user(owner).commit(generation);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
                    out.add(new Passage(d.get(FILE_ID), d.get("filename"),
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
                return s.getIndexReader().numDocs() - s.count(new TermQuery(new Term(KIND, KIND_FILE)));
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
        if (closed) {
            // a late announcement or search after close must not reopen the directory: its writer would keep the
            // write lock and the next index on this directory could not open
            throw new IllegalStateException("the document index is closed");
        }
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

    @Override
    public synchronized void close() {
        closed = true;
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
        volatile long generation;

        UserIndex(Path dir, Analyzer analyzer) {
            this.dir = dir;
            try {
                Files.createDirectories(dir);
                this.directory = FSDirectory.open(dir);
                this.generation = DirectoryReader.indexExists(directory)
                        ? recorded(SegmentInfos.readLatestCommit(directory).getUserData()) : 0;
                this.writer = new IndexWriter(directory, new IndexWriterConfig(analyzer)
                        .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
                this.searchers = new SearcherManager(writer, null);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open index " + dir, e);
            }
        }

        private static long recorded(Map<String, String> userData) {
            String g = userData.get(GENERATION);
            try {
                return g == null ? UNTRACKED : Long.parseLong(g);
            } catch (NumberFormatException e) {
                return UNTRACKED;
            }
        }

        void commit(long generation) throws IOException {
            boolean changed = writer.hasUncommittedChanges();
            writer.setLiveCommitData(Map.of(GENERATION, Long.toString(generation)).entrySet(), false);
            if (changed) {
                writer.commit();
                searchers.maybeRefreshBlocking();
            }
            this.generation = generation;
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
