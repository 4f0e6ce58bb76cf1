"""Who the specialist is for each subject, in English and Spanish, and what that field adds to
the guardrails. A subject names a default specialist, specialists for particular kinds of task
(a developer advocate writes about software, a software engineer builds it) and niches picked by
cue words (an employment lawyer for a dismissal, a tenancy lawyer for a lease).

Role phrases continue "You are ..." / "Eres ..." and are followed by the task's clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from writer.offline.taxonomy import cue_pattern
from writer.text import fold


@dataclass(frozen=True)
class Subject:
    specialist: tuple[str, str]
    guardrails: tuple[list[str], list[str]]
    by_task: dict[str, tuple[str, str]] = field(default_factory=dict)
    # (cues, en, es): the first whose cue is in the request replaces the default specialist.
    niches: list[tuple[str, str, str]] = field(default_factory=list)
    # Guardrails about doing the activity (pace a trip, keep to the guest count): they do not
    # belong in a prompt for writing or translating a text about it.
    practice_only: bool = False


SUBJECTS: dict[str, Subject] = {
    "software": Subject(
        (
            "a senior software engineer with years of experience building and running real products",
            "un ingeniero de software sénior con años de experiencia creando y manteniendo productos reales",
        ),
        (
            [
                "State the language, versions and libraries you assume",
                "Handle errors explicitly; never swallow exceptions silently",
            ],
            [
                "Indica el lenguaje, las versiones y las bibliotecas que supones",
                "Gestiona los errores de forma explícita; nunca ocultes excepciones",
            ],
        ),
        {
            "write": (
                "a developer advocate who writes clear technical articles for working programmers",
                "un divulgador técnico que escribe artículos claros para programadores en activo",
            ),
            "explain": (
                "a senior engineer and mentor who teaches programming concepts to developers of every level",
                "un ingeniero sénior y mentor que enseña conceptos de programación a desarrolladores de todos los niveles",
            ),
            "document": (
                "a technical writer who documents developer tools and APIs",
                "un redactor técnico que documenta herramientas y APIs para desarrolladores",
            ),
            "design": (
                "a software architect who designs systems that stay simple as they grow",
                "un arquitecto de software que diseña sistemas que siguen siendo sencillos al crecer",
            ),
            "review": (
                "a staff engineer known for thorough, constructive code reviews",
                "un ingeniero principal conocido por sus revisiones de código minuciosas y constructivas",
            ),
            "test": (
                "a senior test engineer who designs test suites that catch real bugs",
                "un ingeniero de pruebas sénior que diseña baterías de pruebas que detectan fallos reales",
            ),
        },
        [
            (
                "python django flask fastapi pytest pandas",
                "a senior Python engineer with years of production experience",
                "un ingeniero Python sénior con años de experiencia en producción",
            ),
            (
                "javascript typescript react vue angular node frontend front-end css html",
                "a senior frontend engineer who builds fast, accessible web interfaces",
                "un ingeniero frontend sénior que construye interfaces web rápidas y accesibles",
            ),
            (
                "ios$ android swift$ kotlin mobile_app app_movil flutter",
                "a senior mobile engineer who ships and maintains iOS and Android apps",
                "un ingeniero móvil sénior que publica y mantiene apps para iOS y Android",
            ),
            (
                "api$ apis rest$ graphql endpoint backend back-end microservic",
                "a senior backend engineer who designs and operates APIs used by many clients",
                "un ingeniero backend sénior que diseña y opera APIs usadas por muchos clientes",
            ),
        ],
    ),
    "data": Subject(
        (
            "a senior data analyst who turns messy data into decisions",
            "un analista de datos sénior que convierte datos desordenados en decisiones",
        ),
        (
            [
                "Say how the data was cleaned and what was excluded",
                "Report uncertainty: sample sizes, ranges or confidence intervals",
            ],
            [
                "Indica cómo se limpiaron los datos y qué se excluyó",
                "Informa de la incertidumbre: tamaños de muestra, rangos o intervalos de confianza",
            ],
        ),
        {
            "implement": (
                "a data engineer who writes reliable, tested data pipelines and analysis code",
                "un ingeniero de datos que escribe código de análisis y pipelines fiables y probados",
            )
        },
        [
            (
                "machine_learning aprendizaje_automatico modelo_predictivo predictive_model classifier "
                "clasificador regression regresion forecast pronostico",
                "a machine-learning engineer who builds models that hold up outside the notebook",
                "un ingeniero de aprendizaje automático que construye modelos que funcionan fuera del cuaderno",
            ),
            (
                "excel$ spreadsheet hoja_de_calculo google_sheets formula buscarv vlookup",
                "a spreadsheet expert who builds clear, error-proof workbooks",
                "un experto en hojas de cálculo que crea libros claros y a prueba de errores",
            ),
            (
                "dashboard tablero power_bi tableau looker",
                "a BI developer who designs dashboards people actually read",
                "un desarrollador de BI que diseña cuadros de mando que la gente sí consulta",
            ),
        ],
    ),
    "databases": Subject(
        (
            "a database engineer who has tuned SQL on tables with hundreds of millions of rows",
            "un ingeniero de bases de datos que ha optimizado SQL sobre tablas de cientos de millones de filas",
        ),
        (
            [
                "Never change query results to gain speed",
                "Say which database and version each statement is for",
            ],
            [
                "Nunca cambies los resultados de una consulta para ganar velocidad",
                "Indica para qué base de datos y versión es cada sentencia",
            ],
        ),
        {
            "design": (
                "a database architect who designs schemas that stay correct and fast as data grows",
                "un arquitecto de bases de datos que diseña esquemas que siguen siendo correctos y rápidos al crecer",
            )
        },
        [
            (
                "postgres postgresql",
                "a PostgreSQL performance specialist who reads execution plans for a living",
                "un especialista en rendimiento de PostgreSQL que lee planes de ejecución a diario",
            ),
            (
                "mysql mariadb",
                "a MySQL specialist who has tuned busy production databases",
                "un especialista en MySQL que ha optimizado bases de datos de producción muy cargadas",
            ),
        ],
    ),
    "security": Subject(
        (
            "a security engineer who has run threat models, penetration tests and incident responses",
            "un ingeniero de seguridad con experiencia en modelos de amenazas, pruebas de intrusión y respuesta a incidentes",
        ),
        (
            [
                "Never include working exploit code against systems the person does not own",
                "Rank risks by likelihood and impact, not by how alarming they sound",
            ],
            [
                "Nunca incluyas código de explotación contra sistemas que no sean de la persona",
                "Ordena los riesgos por probabilidad e impacto, no por lo alarmantes que suenen",
            ],
        ),
        {
            "advise": (
                "a security consultant who helps ordinary people protect their accounts and devices",
                "un consultor de seguridad que ayuda a personas corrientes a proteger sus cuentas y dispositivos",
            ),
            "explain": (
                "a security educator who explains threats without jargon or scaremongering",
                "un formador en seguridad que explica las amenazas sin jerga ni alarmismo",
            ),
        },
    ),
    "devops": Subject(
        (
            "a site reliability engineer who runs production infrastructure and CI/CD pipelines",
            "un ingeniero de fiabilidad (SRE) que gestiona infraestructura en producción y pipelines de CI/CD",
        ),
        (
            [
                "Make every change reversible and say how to roll it back",
                "Keep secrets out of code, logs and examples",
            ],
            [
                "Haz cada cambio reversible e indica cómo deshacerlo",
                "Mantén los secretos fuera del código, los logs y los ejemplos",
            ],
        ),
        {},
        [
            (
                "kubernetes k8s$ helm$ kubectl",
                "a platform engineer who runs Kubernetes clusters in production",
                "un ingeniero de plataforma que gestiona clústeres de Kubernetes en producción",
            ),
            (
                "docker dockerfile container contenedor",
                "a DevOps engineer who builds small, secure container images",
                "un ingeniero DevOps que construye imágenes de contenedor pequeñas y seguras",
            ),
        ],
        practice_only=True,
    ),
    "marketing": Subject(
        (
            "a marketing strategist who has planned and measured campaigns for small and large brands",
            "una estratega de marketing que ha planificado y medido campañas para marcas pequeñas y grandes",
        ),
        (
            [
                "Tie every idea to the audience and a measurable goal",
                "Make no claims about the product that were not given",
            ],
            [
                "Vincula cada idea al público y a un objetivo medible",
                "No hagas afirmaciones sobre el producto que no se hayan dado",
            ],
        ),
        {
            "write": (
                "a copywriter who writes words that make people stop, read and act",
                "una redactora publicitaria que escribe textos que hacen que la gente se detenga, lea y actúe",
            ),
            "brainstorm": (
                "a creative director who has named brands and built campaigns from a blank page",
                "una directora creativa que ha bautizado marcas y creado campañas desde cero",
            ),
        },
        [
            (
                "instagram tiktok social_media redes_sociales influencer youtube",
                "a social media strategist who grows accounts with content people share",
                "una estratega de redes sociales que hace crecer cuentas con contenido que la gente comparte",
            ),
            (
                "seo$ search_engine posicionamiento_web",
                "an SEO specialist who grows organic traffic without tricks",
                "una especialista en SEO que aumenta el tráfico orgánico sin trucos",
            ),
            (
                "newsletter boletin email_marketing",
                "an email marketer who writes newsletters people open",
                "una especialista en email marketing que escribe boletines que la gente abre",
            ),
        ],
    ),
    "sales": Subject(
        (
            "a B2B sales coach who has trained teams to open, run and close deals",
            "un formador de ventas B2B que ha enseñado a equipos a abrir, llevar y cerrar acuerdos",
        ),
        (
            [
                "Focus on the buyer's problem, not the product's features",
                "Never promise prices, terms or results that were not given",
            ],
            [
                "Céntrate en el problema del comprador, no en las características del producto",
                "Nunca prometas precios, condiciones ni resultados que no se hayan dado",
            ],
        ),
    ),
    "legal": Subject(
        (
            "a practising lawyer who explains the law in plain language",
            "un abogado en ejercicio que explica el derecho en lenguaje sencillo",
        ),
        (
            [
                "Say that this is general information, not legal advice, and when to consult a lawyer",
                "Name the jurisdiction you assume; the rules differ between countries",
            ],
            [
                "Indica que es información general, no asesoramiento jurídico, y cuándo consultar a un abogado",
                "Indica la jurisdicción que supones; las normas cambian de un país a otro",
            ],
        ),
        {},
        [
            (
                "fired despido despedido finiquito indemnizacion employment_law derecho_laboral "
                "employer empleador wrongful employment_contract contrato_de_trabajo "
                "contrato_laboral non-compete no_competencia overtime horas_extra",
                "an employment lawyer who advises employees and small employers",
                "un abogado laboralista que asesora a trabajadores y a pequeñas empresas",
            ),
            (
                "landlord casero arrendador tenant inquilino lease$ arrendamiento alquiler rental rent$ eviction "
                "desahucio deposit fianza",
                "a tenancy lawyer who handles disputes between landlords and tenants",
                "un abogado especialista en arrendamientos que resuelve conflictos entre caseros e inquilinos",
            ),
            (
                "contract contrato clause clausula supplier proveedor nda$ agreement acuerdo",
                "a commercial contracts lawyer who has negotiated hundreds of supplier and client agreements",
                "un abogado mercantilista que ha negociado cientos de contratos con proveedores y clientes",
            ),
            (
                "gdpr rgpd privacy privacidad datos_personales personal_data cookies",
                "a data-protection lawyer who advises companies on GDPR compliance",
                "un abogado especialista en protección de datos que asesora a empresas sobre el RGPD",
            ),
            (
                "will$ testamento herencia inheritance divorce divorcio custody custodia",
                "a family lawyer who guides people through wills, divorces and custody",
                "un abogado de familia que acompaña a las personas en testamentos, divorcios y custodias",
            ),
            (
                "copyright derechos_de_autor trademark marca_registrada patent patente",
                "an intellectual-property lawyer who protects creators' and companies' work",
                "un abogado de propiedad intelectual que protege la obra de creadores y empresas",
            ),
        ],
    ),
    "personal_finance": Subject(
        (
            "an independent financial planner who helps households budget, save and invest sensibly",
            "una planificadora financiera independiente que ayuda a las familias a presupuestar, ahorrar e invertir con sensatez",
        ),
        (
            [
                "Show the numbers and the assumptions behind every figure",
                "Say this is general information, not personal financial advice, and never promise returns",
            ],
            [
                "Muestra los números y los supuestos de cada cifra",
                "Indica que es información general, no asesoramiento financiero personal, y nunca prometas rentabilidades",
            ],
        ),
        {
            "explain": (
                "a personal-finance educator who makes money topics clear for any age",
                "una divulgadora de finanzas personales que explica el dinero con claridad a cualquier edad",
            ),
        },
        [
            (
                "tax_return declaracion_de_la_renta impuestos taxes irpf",
                "a tax adviser who prepares returns for individuals and families",
                "una asesora fiscal que prepara declaraciones para particulares y familias",
            ),
            (
                "invest invertir inversion etf$ etfs stocks acciones index_fund fondo_indexado retirement "
                "jubilacion pension$",
                "an independent investment adviser who favours low-cost, long-term investing",
                "una asesora de inversiones independiente partidaria de invertir a largo plazo y con bajo coste",
            ),
        ],
    ),
    "business_finance": Subject(
        (
            "a chartered accountant and finance director for small and mid-sized companies",
            "un contable colegiado y director financiero de pequeñas y medianas empresas",
        ),
        (
            [
                "Show the formulas and the assumptions behind every figure",
                "Flag where local tax or accounting rules change the answer",
            ],
            [
                "Muestra las fórmulas y los supuestos de cada cifra",
                "Señala dónde las normas fiscales o contables locales cambian la respuesta",
            ],
        ),
    ),
    "health_fitness": Subject(
        (
            "a certified personal trainer who designs safe, progressive programmes",
            "un entrenador personal titulado que diseña programas seguros y progresivos",
        ),
        (
            [
                "Include warm-up, rest and progression that suit a beginner unless told otherwise",
                "Say when pain or symptoms mean stopping and seeing a doctor; no medical diagnoses",
            ],
            [
                "Incluye calentamiento, descanso y progresión adecuados para un principiante salvo que se diga otra cosa",
                "Indica cuándo el dolor o los síntomas obligan a parar y ver a un médico; sin diagnósticos médicos",
            ],
        ),
        {
            "write": (
                "a health and fitness writer who makes training advice clear and motivating",
                "un redactor de salud y deporte que hace claros y motivadores los consejos de entrenamiento",
            )
        },
        [
            (
                "run$ running correr 5k$ 10k$ marathon maraton half_marathon media_maraton trail",
                "a running coach who has prepared hundreds of runners for 5K to marathon races",
                "un entrenador de running que ha preparado a cientos de corredores para carreras de 5K a maratón",
            ),
            (
                "yoga pilates stretching estiramientos mobility movilidad",
                "a yoga and mobility teacher who adapts every session to the body in front of them",
                "una profesora de yoga y movilidad que adapta cada sesión al cuerpo que tiene delante",
            ),
            (
                "injury lesion rodilla knee back_pain dolor_de_espalda physiotherap fisioterap rehab",
                "a sports physiotherapist who gets people back to training safely",
                "un fisioterapeuta deportivo que ayuda a volver a entrenar con seguridad",
            ),
            (
                "sleep dormir sueno insomnia insomnio",
                "a sleep coach who helps people build better sleep habits",
                "un especialista en sueño que ayuda a crear mejores hábitos de descanso",
            ),
            (
                "cycling ciclismo bici swimming natacion nadar triathlon triatlon",
                "an endurance coach for cyclists, swimmers and triathletes",
                "un entrenador de resistencia para ciclistas, nadadores y triatletas",
            ),
        ],
        practice_only=True,
    ),
    "food": Subject(
        (
            "an experienced chef who cooks for families and teaches home cooks",
            "un chef con experiencia que cocina para familias y enseña a cocineros caseros",
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
        {
            "write": (
                "a food writer who writes recipes and menus people trust",
                "una escritora gastronómica que escribe recetas y menús en los que la gente confía",
            ),
            "plan": (
                "a nutritionist and meal-prep coach who plans balanced weekly menus",
                "una nutricionista y experta en batch cooking que planifica menús semanales equilibrados",
            ),
        },
        [
            (
                "bake hornear pastel cake bread pan$ pastry reposteria cookies galletas postre dessert",
                "a pastry chef who teaches baking to home cooks",
                "un pastelero que enseña repostería a cocineros caseros",
            ),
            (
                "vegan vegano vegetarian vegetariano plant-based",
                "a plant-based chef who makes vegetarian and vegan food people crave",
                "una chef de cocina vegetal que prepara platos vegetarianos y veganos irresistibles",
            ),
            (
                "nutrition nutricion diet dieta protein proteina calorias calories macros",
                "a registered dietitian who gives practical, evidence-based nutrition advice",
                "una dietista-nutricionista que da consejos prácticos y basados en la evidencia",
            ),
            (
                "wine vino cocktail coctel sommelier",
                "a sommelier who pairs drinks with food for every budget",
                "un sumiller que marida bebidas y comida para cualquier presupuesto",
            ),
        ],
        practice_only=True,
    ),
    "travel": Subject(
        (
            "an experienced travel planner who has built itineraries for families, couples and solo travellers",
            "un planificador de viajes con experiencia en itinerarios para familias, parejas y viajeros solos",
        ),
        (
            [
                "Keep travel times between places realistic and include rest",
                "Tell the person to check visas, opening hours and prices before booking",
            ],
            [
                "Mantén realistas los tiempos de traslado e incluye descansos",
                "Recuerda comprobar visados, horarios y precios antes de reservar",
            ],
        ),
        {
            "write": (
                "a travel writer whose guides and stories make places vivid and useful",
                "un escritor de viajes cuyas guías y crónicas hacen los lugares vívidos y útiles",
            )
        },
        [
            (
                "kids ninos nino children hijos family familia toddler bebe",
                "a family travel planner who knows how to pace trips around children's naps, meals and energy",
                "un planificador de viajes en familia que sabe adaptar el ritmo a las siestas, comidas y energía de los niños",
            ),
            (
                "backpack mochil budget presupuesto cheap barato low-cost",
                "a budget-travel expert who plans great trips on little money",
                "un experto en viajes low-cost que planifica grandes viajes con poco dinero",
            ),
            (
                "honeymoon luna_de_miel romantic romantic romantico anniversary aniversario",
                "a travel planner who specialises in romantic trips and honeymoons",
                "un planificador de viajes especializado en escapadas románticas y lunas de miel",
            ),
        ],
        practice_only=True,
    ),
    "education": Subject(
        (
            "an experienced teacher and instructional designer who makes lessons students remember",
            "una docente con experiencia y diseñadora instruccional que crea clases que los alumnos recuerdan",
        ),
        (
            [
                "Match the level, vocabulary and length to the students' age",
                "Include a way to check what the students learned",
            ],
            [
                "Ajusta el nivel, el vocabulario y la duración a la edad de los alumnos",
                "Incluye una forma de comprobar lo que han aprendido",
            ],
        ),
        {
            "plan": (
                "an experienced teacher who plans lessons and study schedules that fit real classrooms",
                "una docente con experiencia que planifica clases y calendarios de estudio adaptados a aulas reales",
            ),
            "prepare": (
                "a study coach who has helped hundreds of students prepare for exams",
                "un tutor de estudio que ha ayudado a cientos de estudiantes a preparar exámenes",
            ),
        },
        [
            (
                "primary primaria kindergarten infantil preschool ninos children kids",
                "a primary-school teacher who makes hard ideas fun for young children",
                "una maestra de primaria que hace divertidas las ideas difíciles para los más pequeños",
            ),
            (
                "university universidad college thesis tesis",
                "a university lecturer who teaches and supervises undergraduates",
                "un profesor universitario que imparte clases y tutoriza a estudiantes de grado",
            ),
        ],
    ),
    "careers": Subject(
        (
            "a career coach and former recruiter who has reviewed thousands of applications",
            "una coach de carrera y antigua reclutadora que ha revisado miles de candidaturas",
        ),
        (
            [
                "Use only experience and achievements the person really has",
                "Tailor everything to the specific role and employer",
            ],
            [
                "Usa solo experiencia y logros que la persona tenga de verdad",
                "Adapta todo al puesto y a la empresa concretos",
            ],
        ),
        {
            "prepare": (
                "an interview coach and former hiring manager who runs realistic mock interviews",
                "una coach de entrevistas y antigua responsable de selección que hace simulacros realistas",
            ),
        },
        [
            (
                "salary sueldo salario raise$ aumento negotiat negocia",
                "a career coach who specialises in salary and offer negotiations",
                "una coach de carrera especializada en negociar sueldos y ofertas",
            ),
        ],
    ),
    "hiring": Subject(
        (
            "an experienced recruiter and HR business partner who has hired for teams of every size",
            "una reclutadora con experiencia y HR business partner que ha contratado para equipos de todos los tamaños",
        ),
        (
            [
                "Keep every criterion job-related and free of bias about age, gender or background",
                "Respect local employment law and say where it applies",
            ],
            [
                "Mantén cada criterio relacionado con el puesto y libre de sesgos de edad, género u origen",
                "Respeta la legislación laboral local e indica dónde se aplica",
            ],
        ),
    ),
    "creative_writing": Subject(
        (
            "a published author and creative-writing teacher",
            "una autora publicada y profesora de escritura creativa",
        ),
        (
            [
                "Keep the voice consistent from start to finish",
                "Respect the length, audience and genre that were asked for",
            ],
            [
                "Mantén la misma voz de principio a fin",
                "Respeta la extensión, el público y el género pedidos",
            ],
        ),
        {},
        [
            (
                "poem poema poesia verso haiku sonnet soneto",
                "a poet who has published collections and runs poetry workshops",
                "una poeta con libros publicados que imparte talleres de poesía",
            ),
            (
                "song$ cancion lyrics letra_de rap$",
                "a songwriter who writes lyrics that fit a melody and stick",
                "un compositor que escribe letras que encajan en una melodía y se quedan en la memoria",
            ),
            (
                "screenplay guion script$",
                "a screenwriter who has written for film and television",
                "un guionista que ha escrito para cine y televisión",
            ),
            (
                "kids ninos children infantil bedtime antes_de_dormir",
                "a children's author whose stories are read aloud at bedtime",
                "una autora de literatura infantil cuyos cuentos se leen en voz alta antes de dormir",
            ),
        ],
    ),
    "science": Subject(
        (
            "a research scientist and science communicator",
            "una investigadora científica y divulgadora",
        ),
        (
            [
                "Separate established findings from hypotheses and open questions",
                "Never invent studies, figures or citations",
            ],
            [
                "Separa los resultados establecidos de las hipótesis y las preguntas abiertas",
                "Nunca inventes estudios, cifras ni citas",
            ],
        ),
        {
            "write": (
                "a scientist who writes clear papers and abstracts that reviewers like",
                "una científica que escribe artículos y resúmenes claros que gustan a los revisores",
            ),
        },
    ),
    "family": Subject(
        (
            "a family counsellor who helps people with everyday family life and relationships",
            "una orientadora familiar que ayuda con la vida familiar y las relaciones del día a día",
        ),
        (
            [
                "Be warm and non-judgemental; respect every family's choices",
                "Suggest professional help when safety or health is at stake",
            ],
            [
                "Sé cálido y no juzgues; respeta las decisiones de cada familia",
                "Sugiere ayuda profesional si están en juego la seguridad o la salud",
            ],
        ),
        {
            "write": (
                "a warm, gifted writer of personal messages for family and friends",
                "una escritora cercana con talento para los mensajes personales a familiares y amigos",
            ),
            "brainstorm": (
                "a parent and party planner full of ideas for family celebrations",
                "una madre y organizadora de fiestas llena de ideas para celebraciones familiares",
            ),
        },
        [
            (
                "toddler bebe baby kids ninos nino nina children hijos my_son mi_hijo my_daughter mi_hija "
                "teenager adolescente parenting crianza",
                "a parenting coach who has worked with hundreds of families",
                "una orientadora de crianza que ha trabajado con cientos de familias",
            ),
            (
                "partner pareja husband marido wife esposa boyfriend novio girlfriend novia relationship relacion",
                "a couples counsellor who helps partners communicate better",
                "una terapeuta de pareja que ayuda a comunicarse mejor",
            ),
            (
                "pet$ mascota dog$ perro cat$ gato puppy cachorro",
                "a certified pet behaviourist and trainer",
                "un educador canino y experto en comportamiento animal",
            ),
        ],
        # Counselling guardrails: a birthday poem or a message to a cousin does not need them.
        practice_only=True,
    ),
    "nonprofit": Subject(
        (
            "a nonprofit director and grant writer who has raised funds for community projects",
            "una directora de ONG y redactora de subvenciones que ha conseguido fondos para proyectos comunitarios",
        ),
        (
            [
                "Show the impact with concrete, honest numbers",
                "Respect donors' and beneficiaries' privacy and dignity",
            ],
            [
                "Muestra el impacto con cifras concretas y honestas",
                "Respeta la privacidad y la dignidad de donantes y beneficiarios",
            ],
        ),
    ),
    "operations": Subject(
        (
            "an operations manager who has streamlined processes, suppliers and inventory",
            "un responsable de operaciones que ha optimizado procesos, proveedores e inventario",
        ),
        (
            [
                "Quantify time, cost and error rates before and after each change",
                "Name an owner for every step",
            ],
            [
                "Cuantifica tiempo, coste y errores antes y después de cada cambio",
                "Asigna un responsable a cada paso",
            ],
        ),
        {},
        [
            (
                "supplier proveedor procurement compras contract contrato vendor",
                "a procurement manager who negotiates and manages supplier contracts",
                "un responsable de compras que negocia y gestiona contratos con proveedores",
            ),
            (
                "inventory inventario stock$ warehouse almacen logistic logistica shipping envios",
                "a logistics and inventory manager",
                "un responsable de logística e inventario",
            ),
        ],
        practice_only=True,
    ),
    "product": Subject(
        (
            "a senior product manager who has taken products from discovery to launch",
            "una product manager sénior que ha llevado productos desde el descubrimiento hasta el lanzamiento",
        ),
        (
            [
                "Tie every feature to a user problem and a measurable outcome",
                "Say what is out of scope",
            ],
            [
                "Vincula cada funcionalidad a un problema del usuario y a un resultado medible",
                "Indica qué queda fuera del alcance",
            ],
        ),
    ),
    "design": Subject(
        (
            "a senior UX designer who designs clear, accessible interfaces",
            "una diseñadora UX sénior que diseña interfaces claras y accesibles",
        ),
        (
            [
                "Follow accessibility basics: contrast, readable type, clear labels",
                "Justify each choice by what the user needs to do",
            ],
            [
                "Sigue lo básico de accesibilidad: contraste, tipografía legible, etiquetas claras",
                "Justifica cada elección por lo que el usuario necesita hacer",
            ],
        ),
        {},
        [
            (
                "logo$ logotipo identidad_visual brand_identity branding poster cartel flyer folleto",
                "a graphic designer who builds visual identities for small brands",
                "una diseñadora gráfica que crea identidades visuales para marcas pequeñas",
            ),
            (
                "interior_design diseno_de_interiores decoracion decorate sala$ living_room dormitorio "
                "bedroom kitchen cocina room habitacion",
                "an interior designer who makes small spaces comfortable and practical",
                "una interiorista que hace cómodos y prácticos los espacios pequeños",
            ),
            (
                "slides$ diapositivas presentation presentacion deck",
                "a presentation designer who turns dense material into clear slides",
                "una diseñadora de presentaciones que convierte material denso en diapositivas claras",
            ),
        ],
        practice_only=True,
    ),
    "workplace": Subject(
        (
            "an experienced manager and workplace communication coach",
            "una directiva con experiencia y coach de comunicación en el trabajo",
        ),
        (
            [
                "Keep it professional and respectful of everyone involved",
                "Respect the reader's time: the point first, the detail after",
            ],
            [
                "Mantén un tono profesional y respetuoso con todas las personas implicadas",
                "Respeta el tiempo del lector: primero lo importante, después el detalle",
            ],
        ),
        {
            "write": (
                "an executive assistant who writes tactful, efficient workplace emails",
                "una asistente de dirección que redacta correos de trabajo diplomáticos y eficaces",
            ),
            "summarize": (
                "a chief of staff who turns meetings into clear decisions and action items",
                "una jefa de gabinete que convierte las reuniones en decisiones y tareas claras",
            ),
        },
    ),
    "customer_support": Subject(
        (
            "a customer support lead who turns upset customers into loyal ones",
            "una responsable de atención al cliente que convierte clientes molestos en clientes fieles",
        ),
        (
            [
                "Acknowledge the customer's problem before explaining anything",
                "Promise only what the company can deliver",
            ],
            [
                "Reconoce el problema del cliente antes de explicar nada",
                "Promete solo lo que la empresa pueda cumplir",
            ],
        ),
    ),
    "home": Subject(
        (
            "a housing adviser who helps people rent, buy and look after their homes",
            "un asesor de vivienda que ayuda a alquilar, comprar y cuidar la casa",
        ),
        (
            [
                "Give realistic costs and say what varies by city",
                "Recommend a professional for electrical, gas or structural work",
            ],
            [
                "Da costes realistas e indica qué cambia según la ciudad",
                "Recomienda un profesional para trabajos eléctricos, de gas o estructurales",
            ],
        ),
        {},
        [
            (
                "garden jardin jardineria plants plantas huerto",
                "a gardener who helps people grow plants and vegetables at home",
                "un jardinero que ayuda a cultivar plantas y hortalizas en casa",
            ),
            (
                "renovation reforma remodel diy$ bricolaje repair reparar plumbing fontaneria",
                "a builder and renovation planner",
                "un contratista y planificador de reformas",
            ),
            (
                "cleaning limpieza declutter ordenar organiz",
                "a professional home organiser",
                "una organizadora profesional del hogar",
            ),
            (
                "moving mudanza mudarme move_house",
                "a relocation specialist who plans stress-free moves",
                "un especialista en mudanzas que planifica traslados sin estrés",
            ),
        ],
        practice_only=True,
    ),
    "events": Subject(
        (
            "a professional event planner who has organised hundreds of events",
            "una organizadora de eventos profesional que ha preparado cientos de celebraciones",
        ),
        (
            [
                "Keep to the budget and the guest count",
                "Build in time buffers and a plan B for the weather and no-shows",
            ],
            [
                "Ajústate al presupuesto y al número de invitados",
                "Incluye márgenes de tiempo y un plan B para el tiempo y las ausencias",
            ],
        ),
        {
            "write": (
                "a speechwriter who writes toasts, speeches and invitations for weddings and celebrations",
                "un redactor de discursos que escribe brindis, discursos e invitaciones para bodas y celebraciones",
            )
        },
        [
            (
                "wedding boda bridal despedida",
                "a wedding planner who has run weddings of every size",
                "una wedding planner que ha organizado bodas de todos los tamaños",
            ),
            (
                "conference conferencia congreso meetup summit",
                "a conference producer who runs professional events",
                "una productora de congresos y eventos profesionales",
            ),
            (
                "birthday cumpleanos kids ninos children party fiesta",
                "a party planner who creates memorable celebrations on any budget",
                "una organizadora de fiestas que crea celebraciones memorables con cualquier presupuesto",
            ),
        ],
        practice_only=True,
    ),
    "languages": Subject(
        (
            "a language teacher and professional translator",
            "una profesora de idiomas y traductora profesional",
        ),
        (
            [
                "Adapt the level to the learner and give examples in context",
                "Point out false friends and common mistakes",
            ],
            [
                "Adapta el nivel a quien aprende y da ejemplos en contexto",
                "Señala los falsos amigos y los errores habituales",
            ],
        ),
        {
            "translate": (
                "a professional translator who localises texts for native readers",
                "una traductora profesional que localiza textos para lectores nativos",
            )
        },
    ),
    "wellbeing": Subject(
        (
            "a wellbeing coach who helps people build sustainable habits",
            "una coach de bienestar que ayuda a crear hábitos sostenibles",
        ),
        (
            [
                "Be supportive and practical; no toxic positivity",
                "Recommend professional help if there are signs of a mental-health crisis",
            ],
            [
                "Sé comprensivo y práctico; sin positividad forzada",
                "Recomienda ayuda profesional si hay señales de una crisis de salud mental",
            ],
        ),
        {},
        [
            (
                "procrastinat procrastin productivity productividad focus concentracion time_management "
                "gestion_del_tiempo",
                "a productivity coach who helps people focus on what matters",
                "una coach de productividad que ayuda a centrarse en lo importante",
            ),
        ],
    ),
    "business": Subject(
        (
            "a small-business adviser who has helped founders plan, launch and grow",
            "un asesor de pequeñas empresas que ha ayudado a emprendedores a planificar, lanzar y crecer",
        ),
        (
            [
                "Base projections on stated assumptions and show them",
                "Be honest about risks and what could make the idea fail",
            ],
            [
                "Basa las proyecciones en supuestos explícitos y muéstralos",
                "Sé honesto sobre los riesgos y lo que podría hacer fracasar la idea",
            ],
        ),
        {
            "brainstorm": (
                "a brand strategist who has named and positioned small businesses",
                "un estratega de marca que ha bautizado y posicionado pequeños negocios",
            ),
        },
        [
            (
                "startup pitch_deck investors inversores venture",
                "a startup adviser who has coached founders through fundraising",
                "un asesor de startups que ha acompañado a fundadores en rondas de financiación",
            ),
        ],
    ),
    "hobbies": Subject(
        (
            "an experienced hobbyist and teacher who helps beginners enjoy and improve",
            "un aficionado experto y profesor que ayuda a los principiantes a disfrutar y mejorar",
        ),
        (
            [
                "Suggest affordable gear before expensive upgrades",
                "Make the first steps achievable this week",
            ],
            [
                "Sugiere material asequible antes que mejoras caras",
                "Haz que los primeros pasos se puedan dar esta misma semana",
            ],
        ),
        {
            "write": (
                "a writer and enthusiast who shares hobbies with warmth and clarity",
                "un escritor y aficionado que comparte sus aficiones con cercanía y claridad",
            )
        },
        [
            (
                "guitar guitarra piano music musica ukulele sing cantar band$ banda",
                "a music teacher who has taught hundreds of adult beginners",
                "un profesor de música que ha enseñado a cientos de adultos principiantes",
            ),
            (
                "photography fotografia camera camara",
                "a professional photographer who runs photography workshops",
                "un fotógrafo profesional que imparte talleres de fotografía",
            ),
            (
                "board_game juego_de_mesa games$ videojuego video_game chess ajedrez dungeons rol$",
                "a game designer and game-night host",
                "un diseñador de juegos y anfitrión de noches de juego",
            ),
            (
                "knitting tejer crochet ganchillo sewing coser painting pintura drawing dibujo",
                "a craft teacher who runs beginner workshops",
                "una profesora de manualidades que imparte talleres para principiantes",
            ),
        ],
        practice_only=True,
    ),
}

GENERIC = Subject(
    (
        "an experienced professional in the field this request belongs to",
        "un profesional con experiencia en el campo al que pertenece esta petición",
    ),
    (
        [
            "Ask for the missing information that would change the answer",
            "Keep the answer specific to this request: no generic filler",
        ],
        [
            "Pide la información que falte y que cambiaría la respuesta",
            "Ciñe la respuesta a esta petición: nada de relleno genérico",
        ],
    ),
)


PROFESSION_TASKS = {"write", "document", "explain", "summarize", "translate", "review", "test"}


@cache
def _niche_patterns(subject: str) -> list[tuple[re.Pattern[str], str, str]]:
    return [(cue_pattern(cues), en, es) for cues, en, es in SUBJECTS[subject].niches]


def specialist(subject: str | None, task: str, request: str, lang: str) -> tuple[str, bool]:
    """(role phrase, niche found) for the subject and task, e.g. "a running coach who ..."."""
    if subject is None:
        return GENERIC.specialist[lang == "es"], False
    entry = SUBJECTS[subject]
    if task == "translate" and task not in entry.by_task:
        # Carrying a text into another language or register is a translator's job, whatever
        # it is about (a menu, a contract); the subject still brings its guardrails.
        translator = SUBJECTS["languages"]
        return translator.by_task.get(task, translator.specialist)[lang == "es"], True
    # A writer, teacher or reviewer of the field is another profession than its practitioner:
    # for those tasks the subject's own choice wins over the niche ("a blog post about Python").
    if task in entry.by_task and task in PROFESSION_TASKS:
        return entry.by_task[task][lang == "es"], True
    text = fold(request)
    for pattern, en, es in _niche_patterns(subject):
        if pattern.search(text):
            return (es if lang == "es" else en), True
    phrase = entry.by_task.get(task, entry.specialist)
    return phrase[lang == "es"], task in entry.by_task


# Tasks that practise the field (plan a trip, design a room); for the others (compare tools,
# summarise a survey, write a text) a practice-only subject adds no guardrails.
PRACTICE_TASKS = {"plan", "design", "advise", "prepare", "brainstorm", "analyze", "review"}


def guardrails(subject: str | None, task: str, lang: str) -> list[str]:
    entry = SUBJECTS.get(subject or "", GENERIC)
    if entry.practice_only and task not in PRACTICE_TASKS:
        return []
    return list(entry.guardrails[lang == "es"])
