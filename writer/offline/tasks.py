"""What each kind of task asks of the answer, in English and Spanish: deliverables, a reasoning
framework with its steps, guardrails, and the clause that finishes the role ("..., and you ...").

The kind of output a request names has deliverables of its own (an email is not a poem, a lesson
is not an answer): see ARTIFACTS; so do the commonest task and subject pairs: see PAIRS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from writer.offline.taxonomy import cue_pattern
from writer.text import fold


@dataclass(frozen=True)
class TaskText:
    framework: str
    clause: dict[str, str]
    deliverables: dict[str, list[str]]
    steps: dict[str, list[str]]
    guardrails: dict[str, list[str]]


def _t(framework: str, clause: tuple, deliverables: tuple, steps: tuple, guardrails: tuple):
    return TaskText(
        framework,
        {"en": clause[0], "es": clause[1]},
        {"en": deliverables[0], "es": deliverables[1]},
        {"en": steps[0], "es": steps[1]},
        {"en": guardrails[0], "es": guardrails[1]},
    )


TASKS: dict[str, TaskText] = {
    "write": _t(
        "role-playing",
        (
            "and you write clear, natural texts that sound like a person, not a template",
            "y escribes textos claros y naturales que suenan a persona, no a plantilla",
        ),
        (
            [
                "The finished text, ready to use as it is",
                "A shorter alternative version",
                "One line on the tone you chose and why it suits the reader",
            ],
            [
                "El texto terminado, listo para usar tal cual",
                "Una versión alternativa más breve",
                "Una línea sobre el tono elegido y por qué encaja con quien lo lee",
            ],
        ),
        (
            [
                "Identify the reader, what they already know and what they should do or feel",
                "Decide the one message the text must get across",
                "Write the text in the voice that fits the reader and the occasion",
                "Read it as the reader would and cut everything that does not serve the message",
            ],
            [
                "Identifica a quién va dirigido, qué sabe ya y qué debe hacer o sentir",
                "Decide el mensaje principal que el texto debe transmitir",
                "Escribe el texto con la voz que corresponde al lector y a la ocasión",
                "Léelo como lo leería el destinatario y elimina lo que no sirva al mensaje",
            ],
        ),
        (
            [
                "Match the tone to the reader and the occasion",
                "Do not invent names, dates or facts that were not given",
            ],
            [
                "Ajusta el tono al destinatario y a la ocasión",
                "No inventes nombres, fechas ni datos que no se hayan dado",
            ],
        ),
    ),
    "plan": _t(
        "decomposition",
        (
            "and you turn goals and constraints into realistic plans people actually follow",
            "y conviertes objetivos y limitaciones en planes realistas que la gente sí cumple",
        ),
        (
            [
                "A short summary of the goal, the constraints and the assumptions behind the plan",
                "The plan itself, step by step or day by day, with timing for each part",
                "What is needed: time, budget, materials or people",
                "The main risks and a fallback for each",
                "How to tell the plan is working, and when to adjust it",
            ],
            [
                "Un breve resumen del objetivo, las limitaciones y los supuestos del plan",
                "El plan en sí, paso a paso o día a día, con los tiempos de cada parte",
                "Lo que hace falta: tiempo, presupuesto, materiales o personas",
                "Los riesgos principales y una alternativa para cada uno",
                "Cómo saber si el plan funciona y cuándo ajustarlo",
            ],
        ),
        (
            [
                "Pin down the goal, the deadline and the hard constraints",
                "Break the goal into phases and the phases into concrete actions",
                "Order the actions, give each a time and check the load is realistic",
                "Add buffers and fallbacks for what is most likely to go wrong",
            ],
            [
                "Concreta el objetivo, el plazo y las limitaciones que no se pueden mover",
                "Divide el objetivo en fases y cada fase en acciones concretas",
                "Ordena las acciones, asigna a cada una su tiempo y comprueba que la carga es realista",
                "Añade márgenes y alternativas para lo que tiene más probabilidades de fallar",
            ],
        ),
        (
            [
                "Keep the plan realistic for the time, budget and energy available",
                "Say which parts are fixed and which can be moved",
            ],
            [
                "Mantén el plan realista para el tiempo, el presupuesto y la energía disponibles",
                "Indica qué partes son fijas y cuáles se pueden mover",
            ],
        ),
    ),
    "explain": _t(
        "chain-of-thought",
        (
            "and you explain difficult ideas simply without making them wrong",
            "y explicas ideas difíciles de forma sencilla sin que dejen de ser correctas",
        ),
        (
            [
                "A one-sentence answer first",
                "The explanation, built up from what the reader already knows",
                "A concrete example or analogy from everyday life",
                "The most common misunderstanding, and why it is wrong",
                "Three questions the reader can answer to check they understood",
            ],
            [
                "Primero, la respuesta en una frase",
                "La explicación, construida a partir de lo que el lector ya sabe",
                "Un ejemplo concreto o una analogía de la vida cotidiana",
                "El malentendido más habitual y por qué es un error",
                "Tres preguntas que el lector pueda responder para comprobar que lo entendió",
            ],
        ),
        (
            [
                "Work out what the reader already knows and what they need to know",
                "Find the core idea everything else depends on",
                "Explain it step by step, each step resting on the previous one",
                "Test the explanation with an example and fix any gap",
            ],
            [
                "Averigua qué sabe ya el lector y qué necesita saber",
                "Encuentra la idea central de la que depende todo lo demás",
                "Explícala paso a paso, apoyando cada paso en el anterior",
                "Pon a prueba la explicación con un ejemplo y corrige cualquier hueco",
            ],
        ),
        (
            [
                "Define every technical term the first time it appears",
                "Prefer accuracy to a catchy simplification",
            ],
            [
                "Define cada término técnico la primera vez que aparezca",
                "Prioriza la exactitud sobre una simplificación llamativa",
            ],
        ),
    ),
    "summarize": _t(
        "decomposition",
        (
            "and you distil long material into accurate summaries people can act on",
            "y condensas material extenso en resúmenes exactos sobre los que se puede actuar",
        ),
        (
            [
                "A three-sentence summary of what the material says",
                "The key points as a short list, each traceable to the source",
                "Risks, obligations, decisions or deadlines it contains",
                "What is unclear or missing and should be checked",
            ],
            [
                "Un resumen de tres frases de lo que dice el material",
                "Los puntos clave en una lista breve, cada uno localizable en el original",
                "Los riesgos, obligaciones, decisiones o plazos que contiene",
                "Lo que queda confuso o falta y conviene comprobar",
            ],
        ),
        (
            [
                "Read the whole material and note its purpose and audience",
                "Mark the statements that matter for the reader's decision",
                "Group them and write each group as one plain sentence",
                "Check every point of the summary against the source",
            ],
            [
                "Lee todo el material y anota su propósito y su público",
                "Marca las afirmaciones que importan para la decisión del lector",
                "Agrúpalas y escribe cada grupo en una frase sencilla",
                "Comprueba cada punto del resumen con el original",
            ],
        ),
        (
            [
                "Only state what the source says; mark your own interpretation as such",
                "Quote the exact wording where precision matters",
            ],
            [
                "Afirma solo lo que dice el original; señala tu interpretación como tal",
                "Cita la redacción exacta donde la precisión importe",
            ],
        ),
    ),
    "analyze": _t(
        "chain-of-thought",
        (
            "and you find the real causes behind a situation instead of the obvious ones",
            "y encuentras las causas reales de una situación en lugar de las evidentes",
        ),
        (
            [
                "The question the analysis answers, in one sentence",
                "The findings, each with the evidence behind it",
                "The most likely explanation, and the alternatives you ruled out",
                "Recommendations in order of impact",
                "What extra information would change the conclusion",
            ],
            [
                "La pregunta que responde el análisis, en una frase",
                "Las conclusiones, cada una con la evidencia que la respalda",
                "La explicación más probable y las alternativas que descartaste",
                "Recomendaciones ordenadas por impacto",
                "Qué información adicional cambiaría la conclusión",
            ],
        ),
        (
            [
                "State the question and what a good answer would let the reader decide",
                "Lay out the evidence available and what it shows",
                "Reason from the evidence to the possible explanations, testing each one",
                "Conclude, and rate how confident the conclusion is",
            ],
            [
                "Formula la pregunta y qué debería poder decidir el lector con la respuesta",
                "Expón la evidencia disponible y lo que muestra",
                "Razona desde la evidencia hasta las explicaciones posibles, poniendo a prueba cada una",
                "Concluye e indica con qué grado de confianza",
            ],
        ),
        (
            [
                "Separate facts from assumptions and say which is which",
                "Do not claim a cause where you only see a correlation",
            ],
            [
                "Separa los hechos de los supuestos e indica cuál es cuál",
                "No afirmes una causa donde solo ves una correlación",
            ],
        ),
    ),
    "compare": _t(
        "tree-of-thoughts",
        (
            "and you help people choose by weighing options honestly against what matters to them",
            "y ayudas a elegir sopesando las opciones con honestidad según lo que le importa a cada persona",
        ),
        (
            [
                "The criteria that matter for this decision, with their weight",
                "A comparison table of the options against those criteria",
                "The real costs and risks of each option, short and long term",
                "A recommendation for this situation, and when the other option would win",
            ],
            [
                "Los criterios que importan para esta decisión, con su peso",
                "Una tabla comparativa de las opciones según esos criterios",
                "Los costes y riesgos reales de cada opción, a corto y a largo plazo",
                "Una recomendación para esta situación y cuándo ganaría la otra opción",
            ],
        ),
        (
            [
                "List the options and the criteria the decision depends on",
                "Explore each option on its own terms, with its best and worst case",
                "Compare them criterion by criterion",
                "Choose for this situation and name the conditions that would flip the choice",
            ],
            [
                "Enumera las opciones y los criterios de los que depende la decisión",
                "Explora cada opción por separado, con su mejor y su peor escenario",
                "Compáralas criterio a criterio",
                "Elige para esta situación y nombra las condiciones que cambiarían la elección",
            ],
        ),
        (
            [
                "Treat every option fairly before recommending one",
                "Use numbers where they exist and say where you estimate",
            ],
            [
                "Trata cada opción con justicia antes de recomendar una",
                "Usa cifras cuando existan e indica dónde estimas",
            ],
        ),
    ),
    "brainstorm": _t(
        "tree-of-thoughts",
        (
            "and you generate many original options before picking the strongest",
            "y generas muchas opciones originales antes de quedarte con las mejores",
        ),
        (
            [
                "At least 15 distinct ideas, grouped by approach",
                "A one-line reason each idea fits the request",
                "Your top three, with why they stand out",
                "A quick way to test or choose between the top three",
            ],
            [
                "Al menos 15 ideas distintas, agrupadas por enfoque",
                "Una línea que explique por qué cada idea encaja con la petición",
                "Tus tres favoritas y por qué destacan",
                "Una forma rápida de probar o elegir entre esas tres",
            ],
        ),
        (
            [
                "Restate what a great idea must achieve and the limits it must respect",
                "Branch out in several directions: obvious, unusual, playful, practical",
                "Develop the most promising branches into concrete ideas",
                "Prune: keep the ideas that are original and feasible",
            ],
            [
                "Reformula lo que debe conseguir una buena idea y los límites que debe respetar",
                "Abre varias direcciones: obvia, inusual, divertida, práctica",
                "Desarrolla las ramas más prometedoras hasta convertirlas en ideas concretas",
                "Poda: quédate con las ideas originales y viables",
            ],
        ),
        (
            [
                "Make the ideas genuinely different from each other, not variations of one",
                "Keep every idea feasible for the budget and situation described",
            ],
            [
                "Haz que las ideas sean realmente distintas entre sí, no variaciones de una",
                "Mantén cada idea viable para el presupuesto y la situación descritos",
            ],
        ),
    ),
    "prepare": _t(
        "role-playing",
        (
            "and you prepare people for high-stakes moments through realistic practice",
            "y preparas a las personas para momentos decisivos con práctica realista",
        ),
        (
            [
                "What the other side is likely to want, ask or push for",
                "The key messages to get across, with evidence for each",
                "The hardest questions or objections, each with a strong answer",
                "A short practice run: play the other side, then give feedback on the answers",
                "A checklist for the day before and the day itself",
            ],
            [
                "Lo que probablemente quiere, pregunta o presiona la otra parte",
                "Los mensajes clave que hay que transmitir, con pruebas para cada uno",
                "Las preguntas u objeciones más difíciles, cada una con una buena respuesta",
                "Un ensayo breve: haz de la otra parte y luego valora las respuestas",
                "Una lista de comprobación para la víspera y para el día",
            ],
        ),
        (
            [
                "Understand the situation, the stakes and who is on the other side",
                "Play the other side realistically, one question or move at a time",
                "After each answer, give specific feedback and a better version",
                "Close with the points to remember and what to practise more",
            ],
            [
                "Entiende la situación, lo que está en juego y quién está al otro lado",
                "Haz de la otra parte con realismo, una pregunta o movimiento cada vez",
                "Tras cada respuesta, da comentarios concretos y una versión mejor",
                "Cierra con los puntos que hay que recordar y lo que conviene practicar más",
            ],
        ),
        (
            [
                "Be realistic about the other side: neither a pushover nor a caricature",
                "Base every suggested answer on the person's real experience, never invented",
            ],
            [
                "Sé realista con la otra parte: ni complaciente ni caricaturesca",
                "Basa cada respuesta sugerida en la experiencia real de la persona, sin inventar",
            ],
        ),
    ),
    "translate": _t(
        "chain-of-thought",
        (
            "and you carry meaning, tone and intent across languages and audiences",
            "y trasladas el sentido, el tono y la intención entre idiomas y públicos",
        ),
        (
            [
                "The full translation or adaptation, ready to use",
                "Notes on terms, idioms or cultural references you adapted and why",
                "Any passage whose meaning was ambiguous, with the reading you chose",
            ],
            [
                "La traducción o adaptación completa, lista para usar",
                "Notas sobre los términos, modismos o referencias culturales que adaptaste y por qué",
                "Cualquier pasaje de sentido ambiguo, con la interpretación que elegiste",
            ],
        ),
        (
            [
                "Read the source for meaning, tone and audience before translating",
                "Translate sentence by sentence, keeping intent over literal wording",
                "Adapt idioms, units and references to the target audience",
                "Read the result as a native reader and smooth anything unnatural",
            ],
            [
                "Lee el original fijándote en el sentido, el tono y el público antes de traducir",
                "Traduce frase a frase, priorizando la intención sobre la literalidad",
                "Adapta modismos, unidades y referencias al público de destino",
                "Lee el resultado como lo haría un nativo y pule lo que suene forzado",
            ],
        ),
        (
            [
                "Keep names, numbers and facts exactly as in the source",
                "Preserve the original tone and formality",
            ],
            [
                "Mantén nombres, cifras y datos exactamente como en el original",
                "Conserva el tono y el grado de formalidad del original",
            ],
        ),
    ),
    "research": _t(
        "decomposition",
        (
            "and you gather evidence carefully and say exactly how strong it is",
            "y reúnes evidencia con rigor y dices exactamente cuán sólida es",
        ),
        (
            [
                "The research question, narrowed to what can be answered",
                "The main findings, each with the kind of source that supports it",
                "Where the evidence disagrees or is weak",
                "A short answer to the question and how confident it is",
                "Where to look next to go deeper",
            ],
            [
                "La pregunta de investigación, acotada a lo que se puede responder",
                "Los hallazgos principales, cada uno con el tipo de fuente que lo respalda",
                "Dónde la evidencia se contradice o es débil",
                "Una respuesta breve a la pregunta y su grado de confianza",
                "Dónde seguir buscando para profundizar",
            ],
        ),
        (
            [
                "Turn the topic into precise sub-questions",
                "Gather what is known for each sub-question",
                "Weigh the quality and agreement of the evidence",
                "Synthesize an answer and mark the open questions",
            ],
            [
                "Convierte el tema en subpreguntas precisas",
                "Reúne lo que se sabe de cada subpregunta",
                "Valora la calidad y la coherencia de la evidencia",
                "Sintetiza una respuesta y señala las preguntas abiertas",
            ],
        ),
        (
            [
                "Never invent sources, figures or quotes; say when you are unsure",
                "Distinguish established facts from opinions and early results",
            ],
            [
                "No inventes fuentes, cifras ni citas; di cuándo no estás seguro",
                "Distingue los hechos establecidos de las opiniones y los resultados preliminares",
            ],
        ),
    ),
    "design": _t(
        "tree-of-thoughts",
        (
            "and you design from the needs of the people who will use the result",
            "y diseñas a partir de las necesidades de quienes usarán el resultado",
        ),
        (
            [
                "Who it is for and the needs the design must meet",
                "Two or three design options, each sketched in enough detail to judge",
                "The recommended design, described part by part",
                "The trade-offs you accepted and why",
                "How to test the design with real users before committing",
            ],
            [
                "Para quién es y qué necesidades debe cubrir el diseño",
                "Dos o tres opciones de diseño, cada una con detalle suficiente para valorarla",
                "El diseño recomendado, descrito parte por parte",
                "Las concesiones que aceptaste y por qué",
                "Cómo probar el diseño con usuarios reales antes de comprometerse",
            ],
        ),
        (
            [
                "Clarify the users, their goals and the constraints",
                "Explore several different approaches before choosing",
                "Develop the chosen approach in detail",
                "Check it against the users' goals and the constraints",
            ],
            [
                "Aclara quiénes son los usuarios, sus objetivos y las limitaciones",
                "Explora varios enfoques distintos antes de elegir",
                "Desarrolla en detalle el enfoque elegido",
                "Compruébalo frente a los objetivos de los usuarios y las limitaciones",
            ],
        ),
        (
            [
                "Justify every design decision by a user need or a constraint",
                "Keep it simple enough to build with the resources described",
            ],
            [
                "Justifica cada decisión de diseño con una necesidad del usuario o una limitación",
                "Mantenlo lo bastante sencillo para hacerlo con los recursos descritos",
            ],
        ),
    ),
    "advise": _t(
        "tree-of-thoughts",
        (
            "and you give candid, practical advice that respects the person's own goals",
            "y das consejos francos y prácticos que respetan los objetivos de cada persona",
        ),
        (
            [
                "A short read of the situation and what seems to matter most",
                "Two or three possible courses of action, with their likely consequences",
                "Your recommendation and the first concrete step to take this week",
                "What to say or do if it does not go as hoped",
            ],
            [
                "Una lectura breve de la situación y de lo que parece importar más",
                "Dos o tres caminos posibles, con sus consecuencias probables",
                "Tu recomendación y el primer paso concreto para esta semana",
                "Qué decir o hacer si no sale como se espera",
            ],
        ),
        (
            [
                "Understand the situation and what the person wants out of it",
                "Explore the realistic options, including doing nothing",
                "Weigh each option's consequences for the person and the others involved",
                "Recommend one and turn it into concrete next steps",
            ],
            [
                "Entiende la situación y lo que la persona quiere conseguir",
                "Explora las opciones realistas, incluida la de no hacer nada",
                "Sopesa las consecuencias de cada opción para la persona y para los demás",
                "Recomienda una y conviértela en pasos concretos",
            ],
        ),
        (
            [
                "Ask about missing details that would change the advice before assuming them",
                "Be direct but kind; no moralising",
            ],
            [
                "Pregunta por los detalles que faltan y que cambiarían el consejo antes de suponerlos",
                "Sé directo pero amable; sin sermones",
            ],
        ),
    ),
    "implement": _t(
        "chain-of-thought",
        (
            "and you write small, well-tested, production-grade code",
            "y escribes código pequeño, bien probado y listo para producción",
        ),
        (
            [
                "The exact contract: inputs, outputs, errors and edge cases",
                "A complete, working implementation with type hints or types and docstrings",
                "Tests that cover normal cases, edge cases and invalid input",
                "A short usage example and how to run it",
            ],
            [
                "El contrato exacto: entradas, salidas, errores y casos límite",
                "Una implementación completa y funcional, con tipos y documentación",
                "Pruebas que cubran los casos normales, los límite y las entradas no válidas",
                "Un ejemplo breve de uso y cómo ejecutarlo",
            ],
        ),
        (
            [
                "Restate the contract and list the edge cases",
                "Reason through the approach before writing code",
                "Write the implementation, then the tests that would catch a wrong one",
                "Check the code against each edge case you listed",
            ],
            [
                "Reformula el contrato y enumera los casos límite",
                "Razona el enfoque antes de escribir código",
                "Escribe la implementación y después las pruebas que detectarían una incorrecta",
                "Comprueba el código con cada caso límite que enumeraste",
            ],
        ),
        (
            [
                "Use the language and libraries the request names; add no other dependency without saying why",
                "No placeholders or pseudo-code: the code must run as given",
            ],
            [
                "Usa el lenguaje y las bibliotecas que indica la petición; no añadas otras dependencias sin explicar por qué",
                "Nada de marcadores ni pseudocódigo: el código debe funcionar tal cual",
            ],
        ),
    ),
    "debug": _t(
        "chain-of-thought",
        (
            "and you find root causes methodically instead of guessing",
            "y encuentras la causa raíz con método en lugar de adivinar",
        ),
        (
            [
                "The most likely root causes, ranked, each with the evidence for it",
                "How to confirm each one: the command, log line or experiment",
                "The fix for the confirmed cause, as a minimal change",
                "A regression test that fails before the fix and passes after",
            ],
            [
                "Las causas raíz más probables, ordenadas, cada una con su evidencia",
                "Cómo confirmar cada una: el comando, la línea de log o el experimento",
                "La corrección de la causa confirmada, como un cambio mínimo",
                "Una prueba de regresión que falle antes de la corrección y pase después",
            ],
        ),
        (
            [
                "Restate the symptom: what happens, what should happen, when",
                "List the hypotheses that could explain it",
                "Design the cheapest experiment that tells them apart",
                "Fix the confirmed cause and prove it with a test",
            ],
            [
                "Reformula el síntoma: qué pasa, qué debería pasar y cuándo",
                "Enumera las hipótesis que podrían explicarlo",
                "Diseña el experimento más barato que las distinga",
                "Corrige la causa confirmada y demuéstralo con una prueba",
            ],
        ),
        (
            [
                "Do not propose a fix before the cause is confirmed",
                "Keep the fix minimal; no unrelated changes",
            ],
            [
                "No propongas una corrección antes de confirmar la causa",
                "Haz la corrección mínima; sin cambios ajenos al problema",
            ],
        ),
    ),
    "refactor": _t(
        "decomposition",
        (
            "and you improve code structure in small, safe steps without changing behaviour",
            "y mejoras la estructura del código en pasos pequeños y seguros sin cambiar su comportamiento",
        ),
        (
            [
                "The problems in the current code, each with why it hurts",
                "The target structure, with the responsibilities of each part",
                "The refactoring as a sequence of small steps, each keeping the tests green",
                "The refactored code",
                "Tests that pin the current behaviour before the first step",
            ],
            [
                "Los problemas del código actual y por qué perjudica cada uno",
                "La estructura objetivo, con la responsabilidad de cada parte",
                "La refactorización como una secuencia de pasos pequeños que mantienen las pruebas en verde",
                "El código refactorizado",
                "Pruebas que fijen el comportamiento actual antes del primer paso",
            ],
        ),
        (
            [
                "Pin the current behaviour with tests",
                "Identify the responsibilities mixed together",
                "Separate them one small step at a time",
                "Re-run the tests after each step and review the result",
            ],
            [
                "Fija el comportamiento actual con pruebas",
                "Identifica las responsabilidades mezcladas",
                "Sepáralas paso a paso, en cambios pequeños",
                "Vuelve a ejecutar las pruebas tras cada paso y revisa el resultado",
            ],
        ),
        (
            [
                "Behaviour must not change: same inputs, same outputs and errors",
                "Prefer clear names and small functions over clever code",
            ],
            [
                "El comportamiento no debe cambiar: mismas entradas, mismas salidas y errores",
                "Prefiere nombres claros y funciones pequeñas a código ingenioso",
            ],
        ),
    ),
    "test": _t(
        "decomposition",
        (
            "and you write tests that fail when the code is wrong",
            "y escribes pruebas que fallan cuando el código está mal",
        ),
        (
            [
                "A test plan: behaviours to cover, grouped by risk",
                "The test code, runnable as given, with clear test names",
                "Edge cases and failure cases, each with the bug it would catch",
                "How to run the tests and what coverage they give",
            ],
            [
                "Un plan de pruebas: comportamientos que cubrir, agrupados por riesgo",
                "El código de las pruebas, ejecutable tal cual, con nombres claros",
                "Casos límite y de error, cada uno con el fallo que detectaría",
                "Cómo ejecutar las pruebas y qué cobertura dan",
            ],
        ),
        (
            [
                "List the behaviours and the ways each could break",
                "Choose the test level for each: unit, integration or end-to-end",
                "Write the tests, one behaviour per test",
                "Check each test fails on a deliberately broken version",
            ],
            [
                "Enumera los comportamientos y las formas en que cada uno puede fallar",
                "Elige el nivel de cada prueba: unitaria, de integración o de extremo a extremo",
                "Escribe las pruebas, un comportamiento por prueba",
                "Comprueba que cada prueba falla con una versión rota a propósito",
            ],
        ),
        (
            [
                "Every test must be able to fail; no assertions that are always true",
                "Keep tests independent and deterministic",
            ],
            [
                "Cada prueba debe poder fallar; nada de aserciones que siempre se cumplen",
                "Mantén las pruebas independientes y deterministas",
            ],
        ),
    ),
    "review": _t(
        "chain-of-thought",
        (
            "and you give reviews that are specific, fair and easy to act on",
            "y haces revisiones concretas, justas y fáciles de aplicar",
        ),
        (
            [
                "An overall verdict in two or three sentences",
                "What works well and should be kept",
                "Each problem with where it is, why it matters and a concrete fix",
                "The changes in order of priority",
            ],
            [
                "Una valoración general en dos o tres frases",
                "Lo que funciona bien y conviene conservar",
                "Cada problema con dónde está, por qué importa y una corrección concreta",
                "Los cambios ordenados por prioridad",
            ],
        ),
        (
            [
                "Understand the purpose and the audience of what is reviewed",
                "Go through it section by section, noting strengths and problems",
                "Rank the problems by how much they matter",
                "Propose concrete rewrites or fixes for the important ones",
            ],
            [
                "Entiende el propósito y el público de lo que se revisa",
                "Recórrelo sección a sección, anotando aciertos y problemas",
                "Ordena los problemas según cuánto importan",
                "Propón reescrituras o correcciones concretas para los importantes",
            ],
        ),
        (
            [
                "Point to the exact passage or line for every comment",
                "Be honest about serious problems; do not pad with praise",
            ],
            [
                "Señala el pasaje o la línea exacta en cada comentario",
                "Sé honesto con los problemas graves; no rellenes con elogios",
            ],
        ),
    ),
    "document": _t(
        "decomposition",
        (
            "and you write documentation people can follow on the first try",
            "y escribes documentación que se puede seguir a la primera",
        ),
        (
            [
                "An outline of the document matched to its readers' questions",
                "The complete document, with headings, in the order a reader needs it",
                "Worked examples for the most common tasks",
                "A troubleshooting section for the problems readers are likely to hit",
            ],
            [
                "Un esquema del documento pensado para las preguntas de sus lectores",
                "El documento completo, con títulos, en el orden en que lo necesita el lector",
                "Ejemplos resueltos de las tareas más habituales",
                "Una sección de resolución de problemas para los fallos más probables",
            ],
        ),
        (
            [
                "Identify the readers and what they come to the document to do",
                "Outline the sections around those tasks",
                "Write each section with a concrete example",
                "Check the document by following it step by step as a newcomer",
            ],
            [
                "Identifica a los lectores y lo que vienen a hacer con el documento",
                "Organiza las secciones en torno a esas tareas",
                "Escribe cada sección con un ejemplo concreto",
                "Comprueba el documento siguiéndolo paso a paso como alguien nuevo",
            ],
        ),
        (
            [
                "Every command and example must be exact and work as written",
                "Write for a newcomer; explain jargon or avoid it",
            ],
            [
                "Cada comando y ejemplo debe ser exacto y funcionar tal como está escrito",
                "Escribe para alguien nuevo; explica la jerga o evítala",
            ],
        ),
    ),
    "query": _t(
        "chain-of-thought",
        (
            "and you write correct queries first and fast ones second, measuring both",
            "y escribes consultas correctas primero y rápidas después, midiendo ambas cosas",
        ),
        (
            [
                "The query, formatted and commented",
                "Why it is correct, including NULLs, duplicates and empty results",
                "The execution plan or cost, and what makes it fast or slow",
                "Indexes or rewrites that would help, with the expected gain and the write cost",
            ],
            [
                "La consulta, formateada y comentada",
                "Por qué es correcta, incluidos los NULL, los duplicados y los resultados vacíos",
                "El plan de ejecución o el coste, y qué la hace rápida o lenta",
                "Índices o reescrituras que ayudarían, con la mejora esperada y el coste en escrituras",
            ],
        ),
        (
            [
                "Restate the question the query answers and the data it reads",
                "Write the simplest correct query",
                "Read the execution plan and find the expensive steps",
                "Improve the expensive steps and confirm the results are unchanged",
            ],
            [
                "Reformula la pregunta que responde la consulta y los datos que lee",
                "Escribe la consulta correcta más sencilla",
                "Lee el plan de ejecución y localiza los pasos costosos",
                "Mejora los pasos costosos y confirma que los resultados no cambian",
            ],
        ),
        (
            [
                "Never change the results to gain speed",
                "Measure before and after; do not guess at performance",
            ],
            [
                "Nunca cambies los resultados para ganar velocidad",
                "Mide antes y después; no adivines el rendimiento",
            ],
        ),
    ),
    "migrate": _t(
        "decomposition",
        (
            "and you move systems between technologies without losing data or uptime",
            "y trasladas sistemas entre tecnologías sin perder datos ni disponibilidad",
        ),
        (
            [
                "An inventory of what must move and the differences that matter",
                "A step-by-step migration plan with a rollback at every step",
                "The code or configuration changes, with examples",
                "How to verify the result: checks, tests and comparisons of data",
            ],
            [
                "Un inventario de lo que hay que mover y de las diferencias que importan",
                "Un plan de migración paso a paso con marcha atrás en cada paso",
                "Los cambios de código o configuración, con ejemplos",
                "Cómo verificar el resultado: comprobaciones, pruebas y comparación de datos",
            ],
        ),
        (
            [
                "Inventory what exists and what depends on it",
                "Map each part to its equivalent in the target",
                "Migrate in small, reversible steps",
                "Verify each step before moving on",
            ],
            [
                "Haz inventario de lo que existe y de lo que depende de ello",
                "Relaciona cada parte con su equivalente en el destino",
                "Migra en pasos pequeños y reversibles",
                "Verifica cada paso antes de seguir",
            ],
        ),
        (
            [
                "No step may lose data; back up before each irreversible one",
                "Keep the old and new versions comparable until the switch",
            ],
            [
                "Ningún paso puede perder datos; haz copia antes de cada paso irreversible",
                "Mantén comparables la versión antigua y la nueva hasta el cambio",
            ],
        ),
    ),
}

# Code tasks asked of a subject that has no code: what the request really is.
NON_SOFTWARE = {
    "implement": "plan",
    "debug": "analyze",
    "refactor": "review",
    "test": "review",
    "query": "research",
    "migrate": "plan",
}


@dataclass(frozen=True)
class Artifact:
    cues: tuple[str, ...]
    framework: str | None
    deliverables: dict[str, list[str]]
    guardrails: dict[str, list[str]]
    # The tasks whose answer this kind of output is.
    tasks: tuple[str, ...] = ("write",)


def _a(
    cues: str,
    framework: str | None,
    deliverables: tuple,
    guardrails: tuple,
    tasks: tuple[str, ...] = ("write",),
) -> Artifact:
    return Artifact(
        tuple(cues.split()),
        framework,
        {"en": deliverables[0], "es": deliverables[1]},
        {"en": guardrails[0], "es": guardrails[1]},
        tasks,
    )


# The kinds of output a request names ("an email", "a recipe", "a lesson"): the one named first
# decides the deliverables, for the tasks it belongs to.
ARTIFACTS: dict[str, Artifact] = {
    "cover_letter": _a(
        "cover_letter carta_de_presentacion carta_de_motivacion",
        None,
        (
            [
                "The cover letter, under 350 words, addressed to the role",
                "An opening line that connects the person to this employer, not a generic one",
                "Two or three achievements matched to the job's requirements, with results",
                "A list of the details to check or fill in before sending",
            ],
            [
                "La carta de presentación, de menos de 350 palabras, dirigida al puesto",
                "Una primera frase que conecte a la persona con esta empresa, no una genérica",
                "Dos o tres logros relacionados con los requisitos del puesto, con resultados",
                "Una lista de los datos que hay que comprobar o completar antes de enviarla",
            ],
        ),
        (
            ["Use only experience the person actually has"],
            ["Usa solo experiencia que la persona tenga de verdad"],
        ),
    ),
    "lesson": _a(
        "lesson lesson_plan leccion clase_de clase_sobre una_clase workshop taller",
        None,
        (
            [
                "Learning objectives, stated as what the learners will be able to do",
                "The lesson in order, each part with its timing, activity and materials",
                "The explanation at the heart of it, with an example from the learners' world",
                "How understanding is checked along the way and at the end",
                "Adjustments for faster and slower learners",
            ],
            [
                "Objetivos de aprendizaje, expresados como lo que el alumnado sabrá hacer",
                "La clase en orden, cada parte con su tiempo, actividad y materiales",
                "La explicación central, con un ejemplo del mundo de los alumnos",
                "Cómo se comprueba la comprensión durante y al final",
                "Ajustes para quien va más rápido y para quien va más despacio",
            ],
        ),
        (
            ["Fit the whole lesson into the time given"],
            ["Ajusta toda la clase al tiempo indicado"],
        ),
        tasks=("explain", "plan", "design"),
    ),
    "recipe": _a(
        "recipe receta recetas",
        None,
        (
            [
                "The ingredient list with exact quantities for the number of servings asked",
                "Numbered steps with times, temperatures and what to look for at each stage",
                "Total and hands-on time, and what can be made ahead",
                "Substitutions for common allergies or missing ingredients, and how to store leftovers",
            ],
            [
                "La lista de ingredientes con cantidades exactas para las raciones pedidas",
                "Los pasos numerados con tiempos, temperaturas y qué señal buscar en cada fase",
                "El tiempo total y el de trabajo activo, y qué se puede dejar preparado",
                "Sustituciones para alergias habituales o ingredientes que falten, y cómo conservar las sobras",
            ],
        ),
        (
            [
                "Give quantities, times and temperatures precisely",
                "Flag common allergens and offer substitutions",
            ],
            [
                "Da cantidades, tiempos y temperaturas con precisión",
                "Señala los alérgenos habituales y ofrece sustituciones",
            ],
        ),
    ),
    "email": _a(
        "email e-mail mail$ correo mensaje message reply respuesta responder whatsapp text_message "
        "invitation invitacion letter carta resignation renuncia dimision apology disculpa",
        None,
        (
            [
                "A subject line (for an email) or an opening line that says why you are writing",
                "The message, ready to send, short enough to read in under a minute",
                "A clear ask or next step at the end",
                "A warmer and a more formal variant of the key sentence",
            ],
            [
                "Un asunto (si es un correo) o una primera frase que diga por qué escribes",
                "El mensaje, listo para enviar y breve, que se lea en menos de un minuto",
                "Una petición o un siguiente paso claro al final",
                "Una variante más cercana y otra más formal de la frase clave",
            ],
        ),
        (
            ["Be polite and direct; no filler openings or closings"],
            ["Sé cortés y directo; sin fórmulas de relleno al principio ni al final"],
        ),
    ),
    "poem": _a(
        "poem poema poesia verso haiku sonnet soneto limerick song$ cancion lyrics letra_de rap$ "
        "wedding_vows votos",
        "tree-of-thoughts",
        (
            [
                "The finished piece, with a title",
                "The form you chose (rhyme, metre, verses) and why it suits the subject",
                "One alternative take on the central image",
            ],
            [
                "La pieza terminada, con título",
                "La forma elegida (rima, métrica, estrofas) y por qué encaja con el tema",
                "Otra versión alternativa de la imagen central",
            ],
        ),
        (
            ["Use concrete images and details; avoid clichés"],
            ["Usa imágenes y detalles concretos; evita los tópicos"],
        ),
    ),
    "story": _a(
        "story$ stories cuento relato short_story microrrelato novel novela fable fabula "
        "fairy_tale script$ guion screenplay",
        "tree-of-thoughts",
        (
            [
                "The complete story, with a title",
                "A protagonist with a clear want and an obstacle, set up in the first lines",
                "A turning point and an ending that pays off what was set up",
                "A two-line note on point of view, tone and length",
            ],
            [
                "La historia completa, con título",
                "Un protagonista con un deseo claro y un obstáculo, presentados en las primeras líneas",
                "Un punto de giro y un final que cierre lo planteado",
                "Una nota de dos líneas sobre el punto de vista, el tono y la extensión",
            ],
        ),
        (
            ["Show through scenes and dialogue rather than summary"],
            ["Muestra con escenas y diálogos en lugar de resumir"],
        ),
    ),
    "speech": _a(
        "speech discurso toast brindis eulogy elogio_funebre wedding_speech palabras_para",
        None,
        (
            [
                "The speech, timed for the occasion (say how many minutes it takes aloud)",
                "An opening that wins the room in the first twenty seconds",
                "One or two personal stories that carry the message",
                "A closing line people will remember, and delivery notes (pauses, emphasis)",
            ],
            [
                "El discurso, ajustado a la ocasión (indica cuántos minutos dura en voz alta)",
                "Un comienzo que conquiste a la sala en los primeros veinte segundos",
                "Una o dos anécdotas personales que sostengan el mensaje",
                "Una frase final memorable y notas para decirlo (pausas, énfasis)",
            ],
        ),
        (
            ["Write for the ear: short sentences that are easy to say aloud"],
            ["Escribe para ser escuchado: frases cortas y fáciles de decir en voz alta"],
        ),
    ),
    "post": _a(
        "post$ posts tweet hilo caption pie_de_foto linkedin instagram tiktok newsletter boletin "
        "blog article articulo essay ensayo press_release comunicado announcement anuncio",
        None,
        (
            [
                "A headline or hook that earns the first line",
                "The full piece, in the length and format of the channel",
                "A clear call to action or takeaway at the end",
                "Two alternative hooks to test",
            ],
            [
                "Un titular o gancho que haga leer la primera línea",
                "La pieza completa, con la extensión y el formato del canal",
                "Una llamada a la acción o idea final clara",
                "Dos ganchos alternativos para probar",
            ],
        ),
        (
            ["Lead with the most useful point for the reader, not with background"],
            ["Empieza por lo más útil para el lector, no por los antecedentes"],
        ),
    ),
    "description": _a(
        "description descripcion bio$ biography biografia listing ficha tagline eslogan slogan "
        "copy$ ad_copy job_description descripcion_del_puesto job_posting oferta_de_empleo",
        None,
        (
            [
                "The description, ready to publish, in the length the channel allows",
                "A headline or first line that says what it is and why it matters",
                "The three details the reader most needs to decide",
                "A short variant for tight spaces",
            ],
            [
                "La descripción, lista para publicar, con la extensión que permita el canal",
                "Un titular o primera línea que diga qué es y por qué importa",
                "Los tres datos que el lector más necesita para decidir",
                "Una variante corta para espacios reducidos",
            ],
        ),
        (
            ["Make every claim specific and true; no empty superlatives"],
            ["Haz que cada afirmación sea concreta y cierta; sin superlativos vacíos"],
        ),
    ),
}


@cache
def _artifact_patterns() -> list[tuple[str, re.Pattern[str]]]:
    return [(name, cue_pattern(" ".join(art.cues))) for name, art in ARTIFACTS.items()]


def artifact(request: str, task: str | None) -> str | None:
    """Which kind of output the request names for `task` (the one named first), or None."""
    text = fold(request)
    best: tuple[int, str] | None = None
    for name, pattern in _artifact_patterns():
        if task not in ARTIFACTS[name].tasks:
            continue
        found = pattern.search(text)
        if found and (best is None or found.start() < best[0]):
            best = (found.start(), name)
    return best[1] if best else None


# When no kind of task is recognised: an honest, general prompt (and a low confidence).
GENERIC = _t(
    "decomposition",
    (
        "and you give concrete, actionable answers rather than generic advice",
        "y das respuestas concretas y aplicables en lugar de consejos genéricos",
    ),
    (
        [
            "A one-paragraph restatement of the goal and the assumptions you are making",
            "The complete answer to the request, organised under clear headings",
            "The key decisions or trade-offs, each with the reason for your choice",
            "Concrete next steps, or how to check that the result is right",
        ],
        [
            "Un párrafo que reformule el objetivo y los supuestos de los que partes",
            "La respuesta completa a la petición, organizada con títulos claros",
            "Las decisiones o concesiones clave, cada una con su motivo",
            "Los siguientes pasos concretos, o cómo comprobar que el resultado es correcto",
        ],
    ),
    (
        [
            "Clarify the goal, the audience and the constraints",
            "Split the request into its parts",
            "Work through each part and produce its output",
            "Review the whole answer against the goal and fix the gaps",
        ],
        [
            "Aclara el objetivo, el público y las limitaciones",
            "Divide la petición en sus partes",
            "Resuelve cada parte y produce su resultado",
            "Revisa la respuesta completa frente al objetivo y corrige los huecos",
        ],
    ),
    (
        ["State every assumption explicitly instead of inventing facts"],
        ["Declara cada supuesto de forma explícita en lugar de inventar datos"],
    ),
)


# Deliverables for the commonest task and subject pairs, where the task's own list is too generic
# ("day by day" suits a trip, not a budget).
PAIRS: dict[tuple[str, str], dict[str, list[str]]] = {
    # "What are the risks for me in these clauses?": risks to the reader, not a diagnosis.
    ("analyze", "legal"): {
        "en": [
            "Each clause or point that matters, in plain words",
            "The risk it creates for the person asking: how likely and how serious",
            "What is unusual or may be unenforceable compared with common practice where you assume they live",
            "What to ask for or negotiate, with suggested wording",
            "What to check with a lawyer before signing or acting",
        ],
        "es": [
            "Cada cláusula o punto que importa, en palabras sencillas",
            "El riesgo que supone para quien pregunta: cuán probable y cuán grave",
            "Lo que es inusual o podría no ser válido frente a la práctica habitual donde supones que vive",
            "Qué pedir o negociar, con una redacción propuesta",
            "Qué comprobar con un abogado antes de firmar o actuar",
        ],
    },
    ("plan", "travel"): {
        "en": [
            "A day-by-day itinerary with times, one main activity per half day and the travel between stops",
            "Where to stay and how to get around, with rough costs",
            "A budget per day and for the whole trip",
            "Bookings to make in advance, and a rainy-day alternative for each day",
        ],
        "es": [
            "Un itinerario día a día con horarios, una actividad principal por media jornada y los traslados entre paradas",
            "Dónde alojarse y cómo moverse, con costes aproximados",
            "Un presupuesto por día y para todo el viaje",
            "Las reservas que conviene hacer con antelación y una alternativa para cada día de lluvia",
        ],
    },
    ("plan", "health_fitness"): {
        "en": [
            "The starting point and the goal, with how progress will be measured",
            "A week-by-week schedule with each session's type, duration and intensity",
            "Rest days, warm-up and how to progress or scale back",
            "Warning signs to stop, and when to see a professional",
        ],
        "es": [
            "El punto de partida y el objetivo, con cómo se medirá el progreso",
            "Un calendario semana a semana con el tipo, la duración y la intensidad de cada sesión",
            "Días de descanso, calentamiento y cómo progresar o bajar la carga",
            "Señales de alarma para parar y cuándo acudir a un profesional",
        ],
    },
    ("plan", "food"): {
        "en": [
            "A menu for each day with the meals asked for",
            "A shopping list grouped by aisle, with quantities",
            "A prep schedule: what to cook ahead and how long it keeps",
            "Swaps for allergies, budget or what is in season",
        ],
        "es": [
            "Un menú para cada día con las comidas pedidas",
            "Una lista de la compra agrupada por secciones, con cantidades",
            "Un calendario de preparación: qué cocinar con antelación y cuánto dura",
            "Sustituciones por alergias, presupuesto o temporada",
        ],
    },
    ("plan", "personal_finance"): {
        "en": [
            "Income and fixed costs laid out month by month",
            "A budget by category with a target for each, in a table",
            "Savings and debt goals with the monthly amount each needs",
            "Where to cut first, and how to track the budget each week",
        ],
        "es": [
            "Ingresos y gastos fijos mes a mes",
            "Un presupuesto por categorías con un objetivo para cada una, en una tabla",
            "Objetivos de ahorro y de deuda con la cantidad mensual que necesita cada uno",
            "Dónde recortar primero y cómo seguir el presupuesto cada semana",
        ],
    },
    ("plan", "business_finance"): {
        "en": [
            "The assumptions behind revenue and costs, each stated",
            "A month-by-month budget or cash-flow table for the period",
            "The months where cash runs short, and what to do about them",
            "The few figures to review every month and their thresholds",
        ],
        "es": [
            "Los supuestos de ingresos y costes, cada uno explícito",
            "Una tabla de presupuesto o de tesorería mes a mes para el periodo",
            "Los meses en que falta liquidez y qué hacer en cada uno",
            "Las pocas cifras que hay que revisar cada mes y sus umbrales",
        ],
    },
    ("plan", "events"): {
        "en": [
            "A timeline from now to the day, with what to book and when",
            "The day's running order, hour by hour",
            "A budget by item that adds up to the total given",
            "A checklist of who does what, and a plan B for what could go wrong",
        ],
        "es": [
            "Un calendario desde hoy hasta el día, con qué reservar y cuándo",
            "El orden del día, hora a hora",
            "Un presupuesto por partidas que sume el total indicado",
            "Una lista de quién hace qué y un plan B para lo que pueda fallar",
        ],
    },
    ("plan", "education"): {
        "en": [
            "Learning objectives, stated as what the learners will be able to do",
            "The sessions in order, each with its timing, activity and materials",
            "How understanding is checked along the way and at the end",
            "Adjustments for faster and slower learners",
        ],
        "es": [
            "Objetivos de aprendizaje, expresados como lo que el alumnado sabrá hacer",
            "Las sesiones en orden, cada una con su tiempo, actividad y materiales",
            "Cómo se comprueba la comprensión durante y al final",
            "Ajustes para quien va más rápido y para quien va más despacio",
        ],
    },
    ("plan", "product"): {
        "en": [
            "The goal and the metric that says it was reached",
            "A roadmap by quarter or milestone, with what ships in each",
            "What is deliberately left out, and why",
            "Dependencies, risks and the decision points along the way",
        ],
        "es": [
            "El objetivo y la métrica que indica que se ha alcanzado",
            "Una hoja de ruta por trimestre o hito, con lo que se entrega en cada uno",
            "Lo que se deja fuera a propósito y por qué",
            "Dependencias, riesgos y los puntos de decisión del camino",
        ],
    },
    ("plan", "business"): {
        "en": [
            "The offer, the customer and why they will buy",
            "The launch steps in order, with dates and owners",
            "Start-up costs and the break-even point, with their assumptions",
            "The main risks and the first test to run before spending more",
        ],
        "es": [
            "La oferta, el cliente y por qué va a comprar",
            "Los pasos del lanzamiento en orden, con fechas y responsables",
            "La inversión inicial y el punto de equilibrio, con sus supuestos",
            "Los riesgos principales y la primera prueba antes de gastar más",
        ],
    },
}
