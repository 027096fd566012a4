"""Public home of the scheduler: re-exports the pure SM-2 core."""

from trainer.core.sm2 import GRADE_MEANINGS, Grade, SM2State, review

__all__ = ["GRADE_MEANINGS", "Grade", "SM2State", "review"]
