"""trainer: spaced-repetition flashcards and quizzes for the terminal."""

__version__ = "0.1.0"
