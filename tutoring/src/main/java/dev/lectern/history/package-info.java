/**
 * Chat history: a user's chat sessions with a companion and their messages in the SQL store, listed and read by the
 * chat history REST API and written by the AI tutor's conversations ({@link dev.lectern.history.SqlChatStore}).
 */
package dev.lectern.history;
