"""The DSPy module that improves a prompt: its signature and program.

Shared by the improver (which runs it) and `programs` (which compiles, saves and loads it),
so neither imports the other. dspy is imported on call, never at import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dspy


def _signature() -> type[dspy.Signature]:
    import dspy

    class ImprovePrompt(dspy.Signature):
        """Turn a raw idea into a complete, structured prompt another LLM can follow as is.

        The improved prompt has four labelled sections: Role, Directive, Framework and
        Guardrails. Be specific to the idea and its context; never leave blanks or
        placeholders such as [insert ...]."""

        original_idea: str = dspy.InputField(desc="the user's raw idea, any language")
        context: str = dspy.InputField(desc="optional extra context; may be empty")
        improved_prompt: str = dspy.OutputField(
            desc="the full prompt with 'Role:', 'Directive:', 'Framework:', 'Guardrails:' sections"
        )
        role: str = dspy.OutputField(desc="the expert persona, one or two sentences")
        directive: str = dspy.OutputField(desc="the precise task and its deliverables")
        framework: str = dspy.OutputField(
            desc="one of: chain-of-thought, tree-of-thoughts, decomposition, role-playing"
        )
        guardrails: list[str] = dspy.OutputField(desc="3 to 5 short constraints")
        confidence: float = dspy.OutputField(desc="0 to 1: how well the prompt fits the idea")

    return ImprovePrompt


def build_program() -> dspy.Module:
    import dspy

    class PromptImprover(dspy.Module):
        def __init__(self) -> None:
            super().__init__()
            self.improve = dspy.ChainOfThought(_signature())

        # demos=None: the predictor's own (saved) demos; a list replaces them for this call.
        def forward(self, original_idea: str, context: str = "", demos: Any = None) -> Any:
            extra = {} if demos is None else {"demos": demos}
            return self.improve(original_idea=original_idea, context=context, **extra)

        async def aforward(self, original_idea: str, context: str = "", demos: Any = None) -> Any:
            extra = {} if demos is None else {"demos": demos}
            return await self.improve.acall(original_idea=original_idea, context=context, **extra)

    return PromptImprover()
