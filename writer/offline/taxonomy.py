"""What kind of task an idea is, and what it is about, from bilingual cue words.

Cues are matched on accent-folded text at the start of a word: "escrib" matches escribe and
escribir; a trailing "$" asks for the whole word ("plan$" is not "planet"); "_" stands for a space.
Each cue has a weight; the request's first words count double for tasks (the verb usually comes
first), the pasted context counts half for subjects (a stack trace says "software", whatever the
request says).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from writer.text import fold

# task id -> {weight: cues}. Artifacts ("email", "poem", "unit tests") weigh more than verbs
# ("write"), so "write unit tests" is `test` and "write an email" is `write`.
TASK_CUES: dict[str, dict[float, str]] = {
    "write": {
        3: """reply_to_this responde_a_esta responde_a_este contesta_a_esta escribeme_una escribeme_un
        email_educado polite_email escribile escribele burofax grant_proposal statement_of_need
        support_macros macros mensaje_de_seguimiento mensaje_de_linkedin captions monologue
        monologo correo$ grant_application solicitud_de_subvencion summary_section cover_email
        contesta contestar respuesta_tipo plantilla_de_respuesta template_reply need_a_reply
        sop$ procedimiento_para eulogy email e-mail mail$ correo_electronico carta$ letter
        cover_letter carta_de_presentacion poem poema poesia verso story$ stories cuento relato
        historia_corta novel novela short_story speech discurso toast$ brindis post$ posts tweet
        hilo_de linkedin_post caption pie_de_foto description descripcion bio$ biography
        biografia song$ lyrics letra_de cancion essay ensayo article articulo blog newsletter
        boletin mensaje message text_message whatsapp invitation invitacion thank-you
        nota_de_agradecimiento agradecimiento elogio_funebre tagline eslogan slogan script$
        guion press_release comunicado_de_prensa announcement anuncio resignation renuncia
        dimision apology disculpa disculpas wedding_vows votos haiku limerick sonnet soneto rap$
        reply respuesta_a respond_to responder_a ad_copy copy$ toast recommendation_letter
        carta_de_recomendacion complaint_letter queja reclamacion love_letter carta_de_amor
        greeting felicitacion obituary necrologica job_description descripcion_del_puesto
        oferta_de_empleo job_posting job_ad listing""",
        2: """receta_de recipe_for text_to mensaje_para msg$ meditacion_guiada guided_meditation
        word_it redactarlo""",
        1.5: """write$ writing escrib redact draft borrador compose_a compose_an componer reword
        reescrib rewrite""",
    },
    "plan": {
        3: """por_donde_empiezo_con couch_to_5k packing_list lista_de_equipaje checklist_de
        flujo_de_caja_proyectado projected zero-based armame_un_presupuesto presupuesto_mensual
        outline_my outline_for plot_outline chore_chart onboarding_plan 30-day 90-day organizo
        organizar_los prioritiz prioriz meal_prep outline_a organiza_la organiza_el
        planifica_una plan$ plans planning planifica planificar planea planear planeacion
        itinerar itinerary schedule horario calendario cronograma timeline roadmap hoja_de_ruta
        routine rutina training_plan plan_de_entrenamiento meal_plan menu_semanal agenda$
        organize organiza organizar week-by-week semana_a_semana program$ programa_de plan_de
        checklist lista_de_tareas to-do lesson leccion lesson_on a_lesson una_clase clase_de
        clase_sobre""",
        1.5: """weekly semanal""",
        1: """trip viaje week semana days dias month mes steps pasos""",
    },
    "explain": {
        3: """explicado explained when_do_i_use cuando_uso diferencia_entre difference_between q_es
        que_es what's whats_a what_is explain explica explicar explicame teach ensena ensenar
        tutorial eli5 understand entender comprender que_son how_does como_funciona
        how_do_i_understand walk_me_through introduccion_a intro_to why_does por_que""",
        2: """for_a_7 for_a_5 para_un_nino""",
        1: """learn aprend concept concepto""",
    },
    "summarize": {
        3: """tl;dr pull_the_main_themes main_themes temas_principales resume_las resumen_de_la
        just_ingredients into_a_1-page resumi what_does_this que_dice_este que_dice_esta
        actually_say boil_this_down boil_down action_items into_a_list_of turn_these_notes
        en_pocas_palabras que_decidieron what_did_they_decide summar resum resumen sintetiz
        synthes tldr key_points puntos_clave condense condensa recap minutes$ acta$ actas
        highlights digest""",
    },
    "analyze": {
        3: """what_are_the_risks what_risks risks_for_me que_riesgos riesgos_para_mi riesgos_tiene
        riesgos_tienen is_that_realistic is_this_realistic es_realista did_the_new did_our
        did_it_work funciono_el funciono_la sirvio_el how_do_i_figure_out_if how_do_i_know_if
        como_se_si como_saber_si actually_profitable realmente_rentable am_i_profitable
        soy_rentable por_que_siempre por_que_nunca por_que_tantos por_que_tantas
        why_do_we_always why_are_we_always why_do_so_many why_are_so_many why_does_it_always
        siempre_nos_quedamos we_always_run_out nos_quedamos_sin no_sube no_crece doesn't_rise
        won't_rise vendi_mas_pero sold_more_but profitable_on_paper always_short como_veo_si
        how_can_i_tell_if how_do_i_tell_if diferencias_reales real_difference era_estafa
        is_this_a_scam es_una_estafa what's_wrong_with_our whats_wrong_with_our
        que_falla_en_nuestro why_does_my why_is_my why_do_my why_are_my why_does_our why_is_our
        why_do_our why_do_i_keep por_que_mi por_que_mis por_que_se_me por_que_nuestro
        por_que_nuestra xq_mi pq_mi que_le_pasa_a_mi what's_wrong_with_my que_esta_fallando
        where_am_i fell_off_a_cliff what_happened what's_going_on_with por_que_mi_masa
        cuales_son_los_problemas which_problems is_this_phishing is_this_email is_this_legit
        es_phishing es_estafa fell_off what's_causing whats_causing que_lo_causa dig_into
        significant significativos patterns_do_you_see que_nos_dicen what_do_these
        quiebre_de_stock por_que_tenemos whats_going_on what's_going_on que_esta_pasando
        q_esta_pasando gana_menos xq_sera por_que_sera complaining se_quejan turning_yellow
        se_pone_amarill keep_happening keeps_happening sigue_pasando threat_model
        what_could_be_causing que_paso que_puede_estar dropped bajaron cayeron fell$ why_is
        analy analiz diagnos evaluate evalua evaluar assess asses audit$ auditar audita why_did
        por_que_bajo por_que_subio root_cause causa_raiz breakdown desglosa desglose interpret
        interpreta insights hallazgos investigate_why figure_out_why trend tendencia swot foda
        dafo kpi$ kpis metricas""",
        2: """down_20 down$ bajaron bajado""",
        1: """why$ causa cause risks riesgos""",
    },
    "compare": {
        3: """cual_me_compro which_should_i_buy cual_compro a_or_b whats_the_difference diferencia vs$
        conviene_mas which_should_i_pick worth_it merece_la_pena vale_la_pena or_just o_mejor
        compar versus vs. or_should should_i_choose cual_elijo que_elijo choose_between
        elegir_entre decide_between decidir_entre pros_and_cons pros_y_contras better_option
        mejor_opcion which_is_better cual_es_mejor trade-off""",
        2.5: """stay_or or_keep o_lo o_me_quedo pay_it_all_off which_venue which_one cual_elijo
        vale_mas_la_pena franquicia_o que_es_mejor what's_better""",
        1: """choose elegir decid decision option opcion alternativ""",
    },
    "brainstorm": {
        3: """que_puedo_plantar what_can_i_plant que_hago_de_cena what_can_i_cook planes_para
        comebacks respuestas_para icebreakers gift regalo_para picks$ recomendaciones_de
        book_club_picks ejercicios_para exercises_for habitos_chiquitos que_plantar
        what_to_plant dinamicas activities actividades icebreaker rompehielos juegos_para
        games_for subject_lines asuntos_para ways_to formas_de brainstorm lluvia_de_ideas ideas$
        idea_for ideas_para ideas_de name_ideas nombres names$ name_for nombre_para suggest
        sugier sugerencias suggestions gift_ideas regalo themes$ temas_para topics temas$
        ocurrencias come_up_with se_te_ocurre inspiration inspiracion""",
        2: """tematica theme$""",
    },
    "prepare": {
        3: """how_do_i_counter objection_handling cheat_sheet pentest_prep i_have_to_give como_negocio
        counter_offer cuando_le_presente presentar_el tengo_que_presentar rindo me_presento_al
        ielts toefl goethe que_preguntas_me_van que_me_van_a_preguntar tengo_que_hablar_con
        how_do_i_prepare como_me_preparo present_our i_present presento_el grill_me
        me_van_a_preguntar prepare_for prepare_me preparing_for help_me_prepare prepararme
        preparame preparate prepararnos preparandome get_ready interview$ entrevista negotiat
        negocia rehearse ensayar practice practicar mock$ simulacro exam$ examen examenes
        oposicion test_prep difficult_conversation conversacion_dificil presentation
        presentacion pitch$ defense defensa salary_negotiation""",
        2: """final$ finals$ midterm parcial im_so_behind""",
    },
    "translate": {
        3: """in_plain_english en_palabras_sencillas so_my_dad so_my_mum so_my_mom para_que_mi_padre
        para_que_mi_madre so_my_kid so_my_9 so_my_8 so_my_10 can_understand_it less_passive
        less_aggressive less_formal more_formal more_casual mas_formal menos_formal mas_cercano
        mas_informal tono_mas en_un_tono in_a_friendlier friendlier_tone convierte_esta
        convierte_este turn_this_email turn_this_letter ponme_este ponme_esta turn_this_into
        para_que_lo_entiendan so_my_non-scientist non-tech que_entienda en_cristiano
        rewrite_this_so so_a_10-year-old para_que_lo_entienda so_a_child in_plain_language
        en_lenguaje_sencillo suene_mas sound_more translat traduc traduce traducir localiz adapt
        adapta adaptar simplif simplifica rewrite_for reescribe_para for_kids para_ninos
        into_spanish al_ingles al_espanol into_english to_spanish en_ingles""",
        2: """a_gramos to_grams convert_to convierte_a less_bossy mas_amable more_polite plain_english
        lenguaje_sencillo""",
    },
    "research": {
        3: """buscame_informacion busca_informacion buscame_info informacion_sobre info_sobre
        que_requisitos what_are_the_requirements requirements_for que_necesito_para_viajar
        what_do_i_need_to_travel what_documents que_documentos que_papeles fair_salary
        salario_justo cuanto_gana cuanto_se_gana how_much_does_a how_much_do_people_earn
        what's_a_good_beginner good_beginner recommended_way que_tengo_que_estudiar_para
        what_do_i_need_to_study how_do_i_become como_llegar_a_ser what's_involved que_hace_falta
        what_permits que_permisos find_catering find_options busca_opciones how_do_x_work
        what_do_product_managers earn cuanto_cobra do_i_need_a_visa necesito_visa teardown
        competitor_feature lit_review literature_review requisitos_para how_do_other
        como_hacen_otros what_do_companies que_hacen_las que_ayudas ayudas_para subsidies
        research investiga investigar investigacion find_out averigua averiguar
        revision_bibliografica estado_del_arte market_research estudio_de_mercado sources
        fuentes evidence evidencia look_into buscar_informacion what_does_the_research
        que_dice_la_ciencia""",
        2: """best$ mejores$ foundations_that que_fundaciones lit_review""",
        1: """find encuentra best_options mejores""",
    },
    "design": {
        3: """scorecard rubric rubrica flujo_de_registro signup_flow redecorar redecorate course$
        curso_de proceso_de_recepcion proceso_de_escalamiento escalation_process
        registration_form formulario_de_registro colores_para color_scheme one_shot one-shot
        design$ designing disena disenar diseno architect arquitectura wireframe mockup
        prototype prototipo ux_flow flujo_de onboarding_flow user_flow layout$ logo$
        identidad_visual brand_identity survey encuesta questionnaire cuestionario curriculum
        curricul syllabus temario course_outline estructura_de schema$ esquema data_model
        modelo_de_datos floor_plan distribucion_de""",
    },
    "advise": {
        3: """how_do_i_fix_this how_do_we_fix how_do_i_stop how_do_we_stop como_dejo_de
        como_hago_para_que how_do_i_make_them how_do_i_get_them what_can_i_do que_puedo_hacer
        que_podemos_hacer how_do_i_price como_cobro cuanto_cobro how_much_should_i_charge
        como_le_pido how_do_i_ask_my should_we deberiamos i_freeze me_bloqueo me_quedo_en_blanco
        how_do_i_survive como_sobrevivo how_do_i_cope como_llevo how_do_i_handle simplest_way
        forma_mas_sencilla how_do_i_talk como_hablo como_le_respondo how_do_i_reply sin_parecer
        what_do_we_need_ready que_hacemos what_do_we_do es_una_locura is_it_crazy
        how_do_i_counter le_escribo_otra como_le_digo how_do_i_tell como_se_lo_digo
        sin_quedar_mal acts_like_nothing me_corresponde am_i_entitled what_should_i_ask advice
        consejo aconseja what_should_i que_deberia que_hago what_do_i_do how_should_i
        como_deberia how_do_i_deal como_manejo how_to_handle como_lidiar should_i deberia
        help_me_decide ayudame_a_decidir tips$ consejos recommend recomienda recomendacion
        struggling me_cuesta por_donde_empiezo where_do_i_start where_to_start buena_idea
        good_idea is_it_worth is_it_too_late any_practical what_helps que_me_ayude habits_that""",
        2: """me_duele it_hurts q_hago no_tengo_tiempo don't_have_time realistic$ realista
        keep_volunteers how_do_we_keep""",
        1.5: """how_can_i como_puedo how_do_i como_hago""",
    },
    "implement": {
        3: """train_a entrena_un predict predecir scikit-learn sklearn code_for codigo_para docker-
        compose hazme_un armame_un python_script script_que script_to smoke_tests implement
        implementa function$ funcion$ funciones$ script$ regex$ scraper parser$ crud$ algorithm
        algoritmo automate automatiza automatizar cli$ bot$ microservice microservicio web_app
        webapp in_python en_python in_javascript en_javascript in_rust in_go en_go set_up_a
        configura configurar workflow_that github_actions_workflow write_a_function
        escribe_una_funcion""",
        1.5: """app$ aplicacion api$ endpoint feature component componente class$ clase$ plugin
        extension program$ programa$ code$ codigo""",
        1: """build construi develop desarroll create crea crear make hazme""",
    },
    "debug": {
        3: """runs_fine_by_hand by_hand_but_not works_by_hand but_not_from funciona_a_mano
        a_mano_funciona pero_no_desde keeps_resetting keeps_restarting se_reinicia se_resetea
        keeps_crashing keeps_disconnecting se_desconecta disconnects se_queda_colgado colgado
        freezes se_congela se_traba sends_it_twice twice_every imprime_siempre always_prints
        no_ejecuta doesn't_run doesn't_fire not_running no_corre runs_fine_manually
        works_manually a_mano_si manualmente_si exceeded verification_failed failed_with
        fails_at falla_en falla_al da_timeout times_out timing_out se_sale_de se_descuadra
        se_ve_mal_en looks_broken se_quedo_en_blanco white_screen pantalla_de_la_muerte no_envia
        doesn't_send no_manda not_sending no_guarda doesn't_save not_saving no_aparece
        doesn't_show not_showing returns_null devuelve_null undefined$ permission_denied
        acceso_denegado access_denied cors_error 404$ 502$ 503$ error_de_cors out_of_memory
        memoria_llena infinite_loop bucle_infinito tira_error error_500 500$ pantalla_blanca
        en_produccion duplicating what_am_i_doing_wrong que_hago_mal deadlock se_cuelga cuelga
        hangs #n/a err_cert certificado_ssl doesn't_trigger no_se_ejecuta what_is_wrong
        no_funciona se_queda_en_blanco en_blanco blank_page pantalla_en_blanco not_giving_me
        no_me_da wrong_result resultado_incorrecto never_expires isn't_working wont won't stuck
        bands_everywhere me_sale_esto me_sale_este me_sale_un_error me_da_error me_da_este
        getting_this i_get_this this_error este_error no_se_que_tocar throws throwing
        lanza_un_error crashloopbackoff no_idea_why not_loading no_carga no_arranca won't_start
        doesn't_work debug depura depurar bug$ bugs error$ errores exception excepcion traceback
        stack_trace crash crashes se_cae falla fails failing not_working broken roto fix$ fixing
        arregla arreglar segfault memory_leak fuga_de_memoria flaky undefined_is_not typeerror
        nullpointer 500_error timeout_error""",
    },
    "refactor": {
        3: """refactoriza refactorizá proper_python_module pasala_a_funciones into_functions
        en_funciones stored_procedure split_it_up nested anidados make_it_cleaner cleaner
        clean_it_up limpia limpiar ordenalo ordena_el split_this into_modules en_modulos
        repetidas repetido repeated duplicated duplicado copy_pasted copia_y_pega
        without_changing_what sin_cambiar restructure spaghetti refactor refactoriz restructur
        reestructur clean_up limpia_el_codigo simplify_this_code simplifica_este_codigo
        legacy_code codigo_legado technical_debt deuda_tecnica modulariz""",
    },
    "test": {
        3: """smoke_tests pruebas_automaticas automated_tests junit mockito dbt_tests tests_unitarios
        pruebas_de_carga load_test stress_test tests_para tests_for unit_test unit_tests
        test_suite tests$ pruebas_unitarias prueba_unitaria pruebas_de test_cases
        casos_de_prueba pytest jest$ testing e2e end-to-end integration_test coverage cobertura
        tdd$ test_plan plan_de_pruebas""",
    },
    "review": {
        4: """any_good is_this_good what_do_you_think_of que_te_parece que_opinas_de can_you_review
        review_my revisa_el revisa_la revisa_mi revisame_el revisame_la""",
        3: """sound_less sound_more look_less rate_my corrigeme corrige_este revisame feedback_on_my
        does_it_look what_am_i_missing roast critica_esta be_brutal se_brutal look_boring boring
        mira_si check_if be_brutally_honest what's_weak que_falla_en revisa_mi improve_this
        mejora_este review revisa revisar revision code_review pull_request pr$ critique critica
        feedback_on feedback_sobre proofread corrige corregir correct_my check_my improve_my
        mejora_mi mejorar_mi give_me_feedback dame_feedback opinion_sobre""",
    },
    "document": {
        4: """documenta documentar documentacion documentation readme""",
        3: """data_dictionary diccionario_de_datos release_notes notas_de_version help_center_article
        articulo_de_ayuda document documenta documentar documentacion documentation readme docs$
        docstring api_docs runbook manual$ user_guide guia_de_usuario changelog wiki$
        onboarding_doc""",
    },
    "query": {
        3: """soql query_to pull_opportunities formula_para_que aggregation pipeline_to search_string
        cadena_booleana boolean$ formula$ boolean_search cadena_de_busqueda formula_en
        formula_para query consulta sql$ select$ slow_query consulta_lenta index$ indice indices
        optimiz optimiza explain_analyze join$ joins formula vlookup buscarv excel_formula
        formula_de_excel spreadsheet_formula regex_for""",
        2: """fast$ faster speed_up slow$ lenta lento tarda takes_ seconds segundos""",
    },
    "migrate": {
        3: """move_from move_everything pasar_las_notas pasar_los_datos pasar_todo migrate_my
        migrate_our migrar_la migrar_el migrar_mis migrar_nuestra trasladar_los to_php from_php
        php_5 php_7 php_8 to_obsidian from_evernote to_an_ssd a_un_ssd from_contaplus a_holded
        to_holded from_quickbooks to_xero from_outlook to_gmail from_wordpress to_wordpress
        desde_wordpress move_our move_my pasar_toda queremos_pasar pasar_los de_excel_a
        from_google_sheets_to lightroom_classic_to from_woocommerce to_shopify from_trello
        to_asana from_lightroom moving_our from_mailchimp to_brevo switching_from switch_from
        moving_from pasarnos_de cambiarnos_de pasar_mis class_component to_functional to_hooks
        a_hooks vue_2 vue_3 angularjs python2 upgrade_to pasar_mi_proyecto de_vue migrat migra
        migrar migracion upgrade actualizar_de port$ portar pasar_de cambiar_de convert_from
        convertir_de python_2 to_python_3 from_mysql a_postgres de_mysql""",
    },
}

# Which tasks are about code: they need a software subject, and only they get code deliverables.
SOFTWARE_TASKS = {"implement", "debug", "refactor", "test", "query", "migrate", "document"}
SOFTWARE_SUBJECTS = {"software", "data", "databases", "security", "devops"}

SUBJECT_CUES: dict[str, dict[float, str]] = {
    "software": {
        3: """arduino raspberry esp32 kafka rabbitmq push_notifications notificaciones_push
        architecture_decision adr$ express.js expressjs jquery vanilla_js woocommerce shopify
        wordpress plugin$ formulario_web web_form tests_unitarios casos_de_prueba test_cases
        unit_tests qa$ rate_limiter middleware home_assistant homelab servidor_casero self-
        hosted laravel flutter android iphone ios$ discord_bot zendesk_ticket slack_channel bot$
        telegram discord chrome_extension extension_de_chrome apps_script vba$ macro_de_excel
        race_condition junior_devs devs$ django_app checkout_flow python javascript typescript
        java$ rust$ golang go_code c++ c# kotlin swift$ react$ vue$ angular django flask fastapi
        node node.js npm pip$ api$ apis rest_api graphql endpoint backend frontend front-end
        back-end codigo code$ coding function$ funcion$ funciones$ class$ script$ programa$
        program$ software aplicacion_web web_app mobile_app pull_request git$ github repo$
        repositorio bug$ refactor unit_test pytest jest$ regex$ json$ yaml$ cli$ sdk$ library
        libreria framework_web compiler typeerror exception traceback stack_trace stacktrace
        null_pointer async$ thread microservic html$ css$ dom$ websocket oauth$ jwt$ algorithm
        algoritmo""",
        1.5: """app$ apps""",
        1: """developer desarrollador programador programmer engineer ingeniero feature deploy bot$
        automat plugin extension""",
    },
    "data": {
        3: """plot$ plot_my moving_average media_movil grafica_de graph_of chart_of extraer_los_datos
        sacar_los_datos extract_data data_from_pdfs datos_de_los_pdf dbt$ etl$ tabla_de_hechos
        fact_table r_script script_de_r monthly_active_users_export p-value p_value
        confidence_interval intervalo_de_confianza estadistica stats significant buscarv
        si_anidados merge$ churn_model scikit sklearn jupyter notebook vba$ macro_de_vba
        encuesta_de_satisfaccion survey_responses respuestas_de_la_encuesta precision$ accuracy
        overfitting sobreajuste clasificacion classifier monthly_active_users active_users
        usuarios_activos data_analysis analisis_de_datos dataset datos$ data$ dashboard tablero
        pandas numpy dataframe csv$ spreadsheet hoja_de_calculo excel$ google_sheets power_bi
        tableau looker estadistic statistic regression regresion machine_learning
        aprendizaje_automatico modelo_predictivo predictive_model forecast pronostico a/b_test
        ab_test cohort cohorte churn$ analytics analitica metrics metricas kpi$ kpis visualiz
        chart grafico graficos pipeline_de_datos data_pipeline correlation correlacion
        survey_results""",
    },
    "databases": {
        3: """stored_procedure procedimiento_almacenado cursors mysql deadlock aggregation_pipeline
        base_de_produccion la_base bd$ bbdd supabase firebase rows$ filas orders_table sql$
        postgres postgresql sqlite mongodb mongo$ redis$ database databases base_de_datos
        bases_de_datos query consulta_lenta slow_query index$ indice indices schema$ esquema
        table$ tabla$ tablas join$ joins select$ insert_into explain_analyze orm$ migration
        migracion_de_base normaliz oracle$ sql_server dynamodb""",
    },
    "security": {
        3: """autenticacion_en_dos two-factor two_factor 2fa$ mfa$ doble_factor security_things
        seguridad_basica basic_security ciberseguridad cybersecurity hackeado me_han_hackeado
        pentest politica_de_contrasenas password_policy respuesta_a_incidentes incident_response
        bitwarden 1password keychain gestor_de_contrasenas password_manager certificado ssl$
        certbot 2fa laptop_stolen robaron_el_portatil is_this_phishing hackearon_el_whatsapp
        filtracion data_leak filtracion_de_datos hackearon hacked verify_my_account is_it_legit
        estafa scam phishing login_tiene vulnerabilidades attacker atacante file_upload
        seguridad secure password contrasena contrasenas malware ransomware vulnerab exploit
        xss$ csrf sql_injection inyeccion encryption cifrado encrypt two- factor penetration
        firewall breach brecha hack$ threat_model amenaza owasp cve$ antivirus vpn$
        privacy_protection""",
        2: """security""",
    },
    "devops": {
        4: """cron_job cronjob crontab cron$ systemd systemctl terraform github_actions airflow
        pipeline_de_github ci/cd dockerfile docker_image imagen_docker""",
        3: """sre$ runbook deploy$ smoke_tests docker-compose backup_nocturno restaurar gitlab
        cloud_run exit_code vps ovh aws vps$ proxy proxy_inverso reverse_proxy https certbot
        pod$ pods crashloopbackoff devops docker dockerfile kubernetes k8s$ helm$ terraform
        ansible ci/cd ci$ cd_pipeline github_actions gitlab_ci jenkins deploy deployment
        despliegue desplegar aws$ azure gcp$ cloud$ nube$ servidor server servers nginx$ linux$
        bash$ monitoring monitoreo alerting alertas prometheus grafana uptime infraestructura
        infrastructure load_balancer cdn$ dns$ ssl$ certificate kubectl serverless lambda$
        backup_strategy""",
        2: """backup copia_de_seguridad copias_de_seguridad respaldo""",
    },
    "marketing": {
        3: """etsy_descriptions tono_de_linkedin tone_of texto_de_la_web open_rate tasa_de_apertura
        palabras_clave keywords posicionar cpc$ meta_ads insta captions copy_de_la_landing brevo
        mailing_list mailchimp substack lista_de_correo landing$ subject_lines spring_sale
        on_sale sale_event rebajas promocion launch_post linkedin_post series_a marketing
        campaign campana campanas seo$ sem$ social_media redes_sociales instagram tiktok
        facebook_ads google_ads ads$ anuncio anuncios publicidad advertising newsletter boletin
        email_marketing branding marca$ brand$ audience audiencia content_calendar
        calendario_de_contenido contenido content$ influencer landing_page copywriting copy$
        eslogan slogan tagline promo lanzamiento launch_campaign go-to-market posicionamiento
        positioning engagement followers seguidores youtube podcast hashtags""",
    },
    "sales": {
        3: """wallapop vender_mi sell_my lo_vemos_el_ano objection_handling cheat_sheet soql
        opportunities prospecto win_rate tasa_de_conversion pipeline_below descuento discount
        clienta presupuesto_de_aire b2b_saas demo_calls me_clavo_el_visto muy_caro too_expensive
        objection ghosted demo$ follow_up cold_call llamar_en_frio en_frio close_rate
        tasa_de_cierre vendedores hubspot pipedrive salesforce sales ventas vender sell selling
        prospect leads$ lead_generation cold_email llamada_en_frio outreach pitch$
        discovery_call demo_call deal$ deals$ pipeline_de_ventas sales_pipeline crm$ quota cuota
        objeciones closing cierre_de_venta upsell cliente_potencial clientes_potenciales b2b$
        propuesta_comercial sales_proposal follow-up_email seguimiento_comercial""",
    },
    "legal": {
        3: """living_trust fideicomiso cookie_banner cookies$ burofax indemnify hold_harmless
        terms_of_service terminos registering_a_trademark me_echaron despedido sin_causa
        indemnizacion unpaid_overtime permits permisos clausula_de_no_competencia no_competencia
        registrar_una_marca register_a_trademark security_deposit illegal ilegal legal$
        is_it_legal es_legal horas_extra law$ lawyer abogado ley$ leyes contract contrato
        contratos clause clausula nda$ acuerdo_de_confidencialidad terminos_y_condiciones
        privacy_policy politica_de_privacidad gdpr rgpd lawsuit demanda sue$ demandar tribunal
        court juicio lease$ arrendamiento alquiler_contrato eviction desahucio desalojo
        liability responsabilidad_legal copyright derechos_de_autor trademark marca_registrada
        patent patente compliance cumplimiento_normativo fired despido wrongful labor_law
        derecho_laboral employment_law finiquito will$ testamento herencia inheritance divorce
        divorcio custody custodia supplier_contract notario notary legal_advice""",
        1.5: """landlord casero arrendador tenant inquilino""",
    },
    "personal_finance": {
        3: """leaking_money where_am_i_leaking car_loan apr$ index_fund credit_cards tarjetas
        emergency_fund lifetime_isa isa$ house_deposit cobro lucas interes_compuesto
        compound_interest budget_for_a_couple zero-based paycheck nomina quincena high_yield
        hysa roth broker paycheck_to_paycheck employer_match irpf hacienda renta$ impuestos
        inflation inflacion horas_extra presupuesto_personal presupuesto_familiar savings ahorro
        ahorrar save_money debt deuda deudas credit_card tarjeta_de_credito loan prestamo
        mortgage hipoteca invest$ investing investment invertir inversion inversiones retirement
        jubilacion pension$ 401k ira$ etf$ etfs fondo_indexado stocks acciones crypto cripto
        fondo_de_emergencia personal_finance finanzas_personales rent_vs_buy alquilar_o_comprar
        net_worth patrimonio tax_return declaracion_de_la_renta impuestos_personales
        salary_budget sueldo gastos_del_mes monthly_expenses expenses gastos""",
        1.5: """budget""",
    },
    "business_finance": {
        3: """nos_debe owes_us facturas_vencidas overdue_invoices utilidad_operativa utilidad_neta
        net_profit flujo_de_caja cuentas_por_cobrar estados_contables reunion_de_socios facturas
        xero quickbooks freeagent holded ltd$ pyme presupuesto_anual rice$ ebitda annual_budget
        board$ junta_directiva accounting contabilidad bookkeeping cash_flow flujo_de_efectivo
        invoice factura facturacion balance_sheet balance_general income_statement
        estado_de_resultados p&l$ profit_and_loss perdidas_y_ganancias revenue ingresos_de
        margin margen burn_rate runway valuation valoracion fundraising_round
        ronda_de_financiacion investors inversores cap_table financial_model modelo_financiero
        quarterly_results cierre_contable payroll iva$ vat$ pricing_model business_budget
        presupuesto_de_la_empresa""",
    },
    "health_fitness": {
        3: """hiit steady_state fat_loss perder_grasa bro_science gainz split$ charity_run ultra 50k
        trail sentado ejercicios_para_hacer_en_la_oficina couch_to_5k c25k peso_muerto deadlift
        sentadilla squat espalda push_pull_legs full_body ponerme_en_forma get_in_shape ppl$
        rodillas knees bad_knees vaccin vacuna soccer futbol workout entrenamiento entrenar gym$
        gimnasio run$ running correr carrera 5k$ 10k$ half_marathon media_maraton marathon
        maraton exercise ejercicio ejercicios fitness strength fuerza cardio yoga pilates
        stretching estiramientos muscle musculo weight_loss lose_weight bajar_de_peso
        perder_peso adelgazar injury lesion rodilla knee back_pain dolor_de_espalda physiotherap
        fisioterap cycling ciclismo bici swimming natacion nadar steps pasos sport deporte
        training health salud blood_pressure presion_arterial diabetes symptoms sintomas doctor
        medico""",
        1.5: """sleep dormir sueno""",
    },
    "food": {
        3: """leftover sobras eggs huevos peas onion cebolla pimiento recipe_blog ingredients
        what_can_i_make que_puedo_cocinar de_cenar chicken pollo arroz rice lentejas zucchini
        calabacin air_fryer freidora olla sourdough masa_madre baking_soda levadura yeast
        restaurantes recipe receta recetas cook cocina cocinar cooking meal comida comidas cena$
        dinner lunch almuerzo desayuno breakfast bake hornear pastel cake bread pan$ vegan
        vegano vegetarian vegetariano ingredient ingredientes nutrition nutricion diet dieta
        meal_prep menu$ menus restaurant restaurante chef$ kitchen gluten protein proteina
        calorias calories snack postre dessert sauce salsa pasta$ paella cafe$ coffee wine vino
        cocktail coctel grocery supermercado lista_de_la_compra batch_cooking""",
    },
    "travel": {
        3: """finde_lluvioso hotel_reviews resenas_del_hotel cancun punta_cana volar aerolinea airline
        valija maleta equipaje lost_my_bag ryanair finde ezeiza backpacking carry-on vietnam
        etias interrail avion viajes lisbon lisboa schengen argentina tailandia thailand vacunas
        vaccines days_in dias_por trip$ trips viaje travel viajar itinerary itinerario vacation
        vacaciones flight vuelo vuelos hotel$ hoteles airbnb hostel backpack mochilero
        packing_list visa$ visado pasaporte passport road_trip escapada getaway tour$ turismo
        tourist sightseeing destino destination crucero cruise layover escala jet_lag""",
        2: """japan$ japon$ tokyo tokio kyoto italy$ italia$ rome$ roma$ florence florencia paris$
        london$ londres new_york nueva_york peru$ cusco machu_picchu iceland islandia portugal$
        oporto porto$ greece grecia croatia croacia morocco marruecos egypt egipto bali$
        costa_rica disneyland disney_world europe$ europa$ scotland escocia ireland irlanda
        holiday holidays""",
    },
    "education": {
        3: """ww1 ww2 causes_of class_of_teenagers first_day_with 7th_grade 8th_grade grade_class
        online_course admin_staff rindo anatomia final_de teaching high_school french_revolution
        chapter_on 4th_graders graders lesson_on calc$ calculus calculo taller workshop sesiones
        chavales eso$ 10-year-old grades notas teach ensenar ensenanza lesson_plan leccion
        clase$ clases alumnos students estudiantes student alumno teacher profesor profesora
        maestro maestra classroom aula school escuela colegio curso$ course$ courses curriculum
        syllabus temario homework deberes tarea_escolar exam$ examen examenes quiz$ study
        estudiar estudio_para university universidad tutor$ tutoring grade$ calificacion rubric
        rubrica primaria secundaria kindergarten bachillerato e-learning learning_objectives
        objetivos_de_aprendizaje""",
    },
    "careers": {
        3: """resume_bullets what_product_managers earn$ ganan$ junior_data_analyst_role
        recomendacion_a_un_ex analista_de_riesgos no_promotion promotion offered offer$ offers
        counter ex_companero recomendacion_de_linkedin curro_de meterme_en programacion_a_los
        extracto_de_linkedin portfolio_site encargado linkedin_headline titular_de_linkedin
        career_change job_posting_what amazon_interview behavioral_questions
        auxiliar_administrativa entrevista_para enfermera pido_un_aumento aumento$
        subida_de_sueldo dejar_la cambiar_de_carrera pasarme_a switch_careers cv$
        curriculum_vitae cover_letter carta_de_presentacion job_search busqueda_de_empleo
        buscar_trabajo job_hunt job_interview entrevista_de_trabajo my_interview mi_entrevista
        career carrera_profesional cambio_de_carrera ascenso raise$ aumento_de_sueldo
        aumento_salarial salary_negotiation negociar_mi_sueldo linkedin_profile
        perfil_de_linkedin portfolio job_offer oferta_de_trabajo quit_my_job dejar_mi_trabajo
        networking mentor$ internship practicas new_job nuevo_trabajo""",
        1.5: """resume$ job$ trabajo$""",
    },
    "hiring": {
        3: """camarero camarera oferta_de_trabajo_para candidato_que_no job_ad reclutador
        descripcion_de_puesto cocinero_de_linea scorecard interview_scorecard hiring_on_vibes
        customer_success_rep candidato_que_no_quedo bad_performance_review
        preguntas_de_entrevista notas_de_las_tres_entrevistas quien_quedo_mejor greenhouse lever
        workable underperformer bajo_rendimiento rotacion turnover boolean_search becarios
        interns comercial_de_zona hiring hire$ contratar contratacion recruit reclut candidate
        candidato candidatos job_description descripcion_del_puesto job_posting oferta_de_empleo
        interview_questions interviewing_candidates screening onboarding incorporacion new_hire
        nuevo_empleado rrhh recursos_humanos performance_review evaluacion_de_desempeno employee
        empleado empleados headcount talent talento offer_letter carta_oferta layoff despidos
        retention retencion""",
        2: """hr$""",
    },
    "creative_writing": {
        4: """poem poema poemas poesia cuento cuentos relato relatos story$""",
        3: """adapta_este_cuento magic_system sistema_de_magia cozy_mystery novelist novelista
        librarian detective chapters acts murder_mystery misterio worldbuilding mundo_donde dnd$
        d&d one_shot campaign_for monologue monologo short_film cortometraje scene escena
        cuento_corto dragon bedtime_story para_dormir stories novel novela poetry verso versos
        haiku sonnet soneto fiction ficcion short_story microrrelato character personaje
        personajes plot trama fantasy fantasia sci-fi ciencia_ficcion screenplay guion song$
        cancion lyrics letra_de fanfic dialogue dialogo chapter capitulo narrator narrador
        villain villano fairy_tale fabula""",
    },
    "science": {
        3: """immune inmune vaccines vacunas_funcionan how_vaccines immune_system sistema_inmune
        bacterias antibioticos crispr introduccion_de_mi_tesis tfm tesis thesis
        results_significant relatividad relativity pcr$ gel$ microplastics microplasticos pubmed
        sky_blue cielo_azul chemically quimicamente moon luna science ciencia scientific
        cientifico physics fisica chemistry quimica biology biologia experiment experimento
        hypothesis hipotesis research_paper paper$ articulo_cientifico journal peer_review
        revision_por_pares lab$ laboratorio dissertation abstract$ resumen_del_articulo
        methodology metodologia photosynthesis fotosintesis climate_change cambio_climatico
        quantum cuantic evolution evolucion genetics genetica astronomy astronomia neuroscience
        academic academico literature_review revision_bibliografica""",
    },
    "family": {
        3: """won't_talk_to_me no_me_habla talk_to_me parenting crianza relationship relacion pelea
        big_fight family familia familiar pet$ mascota perro dog$ gato cat$ puppy cachorro
        ladrar barking greyhound adopting adoptar rescue borrowed prestado best_mate anniversary
        aniversario sibling""",
        2: """parents padres mis_papas mis_padres my_son mi_hijo my_daughter mi_hija kids ninos nino
        nina children hijos bebe baby toddler teenager teen$ teens$ adolescente year-old
        year_old anos$ 4yo 7yo 9yo mom dad mama papa madre padre mi_viejo mi_vieja my_mom my_dad
        husband marido esposo wife esposa partner pareja novio novia boyfriend girlfriend
        mi_novia my_girlfriend friend amigo amiga amigos mate$ grandma grandpa grandmother
        grandfather my_grandma mi_abuela abuela abuelo sobrino sobrina niece nephew my_sister
        mi_hermana my_brother mi_hermano hermano hermana birthday cumpleanos neighbour
        neighbours neighbor neighbors vecino vecinos eulogy funeral elogio_funebre""",
    },
    "nonprofit": {
        3: """volunteer_group food_drives donor_list comedor juntar_fondos donor impact_report
        informe_de_impacto voluntaria after-school literacy animal_shelter protectora food_banks
        nonprofit non-profit ong$ ngo$ charity caridad beneficen fundraising recaudacion
        recaudar_fondos donors donantes donation donacion donaciones grant$ grants subvencion
        subvenciones volunteer voluntario voluntarios voluntariado community_project
        proyecto_comunitario fundacion foundation cause$ mission_statement food_bank
        banco_de_alimentos""",
    },
    "operations": {
        3: """keep_track_of_inventory taproom sop_para abrir_y_cerrar recepcion_de_mercaderia
        mercaderia quiebre_de_stock sucursal punto_de_reposicion reorder on-time_delivery
        carriers transportistas 3pl logistica escalamiento returns_process
        proceso_de_devoluciones sop$ skus sku$ closing_the opening_checklist warehouse
        operations operaciones process proceso procesos standard_operating procedimiento
        logistics supply_chain cadena_de_suministro inventory inventario stock$ almacen
        procurement compras supplier proveedor proveedores vendor shipping envios fulfillment
        workflow flujo_de_trabajo efficiency eficiencia bottleneck cuello_de_botella lean$
        kaizen six_sigma scheduling_shifts turnos capacity capacidad""",
    },
    "product": {
        3: """features_que_piden user_interview_notes habit_tracking_apps competitors_do_onboarding
        flujo_de_registro_para_una_app user_interview entrevistas_con_usuarios rice_framework
        backlog prd lanzamiento_de_la_nueva_version directorio feature_teardown habit_tracker
        release_notes users_sign_up sign_up never_come_back retention_rate priorizar_estas
        features$ nueva_funcion new_feature funcionalidades features_for pricing_change
        changed_pricing product_manager product_management gestion_de_producto roadmap
        hoja_de_ruta prd$ product_requirements requisitos_del_producto user_stories
        historias_de_usuario user_story prioritiz prioriz feature_request funcionalidad mvp$
        product_launch lanzamiento_del_producto product-market okr okrs discovery
        jobs_to_be_done customer_interviews feature$ features sprint""",
    },
    "design": {
        3: """figma canva portfolio_homepage look_cheap redecorar living estilo_nordico
        checkout_screen pitch_deck_look slide_by_slide ley_de_fitts fitts hick kerning colores
        colors tipografia fuente_para web_de_un landing$ look_boring ux$ ui$ ux/ui
        user_experience experiencia_de_usuario interface interfaz wireframe wireframes mockup
        prototype prototipo logo$ logotipo visual typography color_palette paleta_de_colores
        branding_visual identidad_visual graphic_design diseno_grafico layout$
        landing_page_design accessibility accesibilidad usability usabilidad icon iconos
        interior_design diseno_de_interiores decoracion decorate sala$ living_room dormitorio
        poster cartel flyer folleto slides$ diapositivas""",
    },
    "workplace": {
        3: """mi_jefa my_boss trello asana email_thread hilo_de_correo offsite teammate
        companero_de_equipo always_late siempre_llega_tarde demasiadas_reuniones
        too_many_meetings bossy trabajar_desde_casa work_from_home teletrabajo meeting meetings
        reunion reuniones coworker colleague companero companera colega workplace
        trabajo_en_equipo standup one- on-one 1:1 agenda_de_la_reunion meeting_notes
        notas_de_la_reunion slack$ stakeholder stakeholders direct_report feedback_to
        retroalimentacion delegate delegar management liderazgo leadership status_update
        informe_semanal weekly_report declining rechazar_la_invitacion out_of_office
        fuera_de_la_oficina""",
        2: """hilo$ thread$ correo$""",
        1.5: """team$ equipo$ office oficina my_team mi_equipo manager$ boss jefe jefa""",
    },
    "customer_support": {
        3: """reclamos escalamiento_de_reclamos non-tech_customer refund_requests tickets_del_mes
        resena review_of_1_star una_estrella zendesk freshdesk help_center complaining
        reviews_say se_quejan customer$ customers$ cliente$ clientes$ charged_twice cobrado_dos
        subscription suscripcion tecnico_no_fue devoluciones customer_support
        atencion_al_cliente soporte support_ticket ticket$ tickets complaint queja quejas refund
        reembolso devolucion return_request angry_customer cliente_enfadado cliente_molesto
        customer_service servicio_al_cliente help_desk helpdesk faq$ chatbot_de_soporte
        customer_email respuesta_al_cliente reply_to_a_customer nps$ csat""",
    },
    "home": {
        3: """mudanza nos_vamos_a_otro huerta balcon first_time_buyer viewing deck$ permits_to_build
        mold bathroom_ceiling porch home_assistant tomato tomatera tomate leaves hojas plant
        gotera goteras leak leaking humedad moho mould plumber fontanero calefaccion heating
        boiler caldera landlord casero rent_increase renewal renovacion_del_alquiler room$
        habitacion home_office guest_room salon$ decorar security_deposit fianza apartment
        apartamento piso$ house$ casa$ home$ hogar rent$ renting alquilar alquiler buy_a_house
        comprar_una_casa real_estate inmobiliaria mortgage hipoteca moving mudarme move_house
        renovation reforma remodel garden jardin jardineria plants plantas cleaning limpieza
        declutter ordenar organizar_la_casa furniture muebles roommate companero_de_piso
        neighbor vecino vecinos diy$ bricolaje repair reparar plumbing fontaneria""",
    },
    "events": {
        3: """encuesta_post_evento post-event post_evento boda_civil los_15 quince invitados
        salon_de_fiestas catering venues 150-person conference hackathon registration_form
        fiesta_de_cumpleanos tematica venue padrino madrina best_man maid_of_honor campamento
        summer_camp surprise sorpresa 40th 50th comunion bautizo jornada_de_bienvenida
        welcome_day jubilacion_de retirement_party event evento eventos wedding boda party
        fiesta fiestas conferencia congreso meetup quinceanera baby_shower bridal
        despedida_de_soltera celebration celebracion gala$ lugar_del_evento guest guests rsvp
        retreat offsite team_building graduation graduacion festival reunion_familiar
        cumpleanos_sorpresa surprise_party fiesta_sorpresa""",
    },
    "languages": {
        3: """ser_vs_estar ser_o_estar present_perfect past_simple aleman italian italiano en_aleman
        goethe ielts speaking babbel italki nativo por_or_para por_o_para hispanohablantes
        pronunciamos pronounce pronunciar duolingo profe_de_ingles spanish espanol ingles
        english french frances german portuguese portugues chinese chino japanese japones
        language idioma idiomas grammar gramatica vocabulary vocabulario verb verbos conjugation
        conjugacion pronunciation pronunciacion fluent fluidez learn_spanish aprender_ingles
        translation traduccion translate traducir b2$ c1$ dele$ toefl""",
    },
    "wellbeing": {
        3: """chamba pendientes journal$ diario celu celular menos_con_el screen_time me_despierto
        quemado quemada burned_out pomodoro meditacion_guiada guided_meditation doomscrolling
        scrolling pantallas meditar meditate zombie stress estres anxiety ansiedad burnout
        agotamiento mental_health salud_mental meditation meditacion mindfulness habit habito
        habitos motivation motivacion procrastinat procrastinar productivity productividad focus
        concentracion journaling diario$ self-care autocuidado gratitude gratitud overwhelmed
        agobiado agobiada lonely soledad confidence confianza autoestima self-esteem
        morning_routine rutina_de_manana sleep_hygiene therapy terapia""",
    },
    "business": {
        3: """partner_and_i 50/50 woocommerce shopify online_store tienda_online franquicia
        marca_propia local_de_cafe negocio_de montar_un_negocio pitch_deck etsy_shop coffee_cart
        food_truck peluqueria peluqueria_canina barberia floristeria online_shop autonomos llc$
        series_a business_plan plan_de_negocio plan_de_negocios startup emprend entrepreneur
        small_business pequeno_negocio strategy estrategia competitor competidor competidores
        competencia business_model modelo_de_negocio lean_canvas investors inversores franchise
        side_hustle freelance autonomo autonoma bakery panaderia cafeteria ecommerce e-commerce
        etsy""",
        1.5: """shop$ negocio$ business$ empresa company tienda store$ market mercado clinic clinica
        socio""",
    },
    "hobbies": {
        3: """steam_deck switch_oled crochet crocheting amigurumi yarn lana_para d&d dungeons level_3
        players jugadores lightroom darktable photo_library watercolor acuarela
        regla_de_los_tercios triangulo_de_exposicion circe book_club gaming_server pescar
        autos_antiguos ps5 switch$ nintendo xbox catan f_stop apertura spotify playlists
        apple_music guitar guitarra piano music musica photography fotografia camera camara
        painting pintura drawing dibujo knitting tejer ganchillo woodworking carpinteria
        board_game juego_de_mesa games$ videojuego video_game gaming chess ajedrez
        club_de_lectura reading_list lista_de_lectura collecting coleccion lego$ hobby hobbies
        aficion pasatiempo fishing pesca hiking senderismo camping acampar birdwatching band$
        banda""",
    },
}


@dataclass(frozen=True)
class Match:
    """The best label, its score, and every label that scored, best first."""

    label: str | None
    score: float
    scores: tuple[tuple[str, float], ...]


def compile_cues(table: dict[float, str]) -> list[tuple[float, re.Pattern[str]]]:
    compiled = []
    for weight, words in table.items():
        alternatives = []
        for cue in words.split():
            # Short cues are whole words ("dad" is not "dado") unless they end with "*".
            whole = cue.endswith("$") or (len(cue) <= 4 and not cue.endswith("*"))
            cue = re.escape(cue.rstrip("$*").replace("_", " ")).replace(r"\ ", r"\s+")
            alternatives.append(cue + (r"(?![\w])" if whole else ""))
        # Longest first: "cover letter" must win over "letter" at the same place.
        alternatives.sort(key=len, reverse=True)
        compiled.append((weight, re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + ")")))
    return compiled


def cue_pattern(words: str) -> re.Pattern[str]:
    """One pattern for a space-separated list of cues (niches, kinds of text)."""
    return compile_cues({1: words})[0][1]


@cache
def _cues(kind: str) -> dict[str, list[tuple[float, re.Pattern[str]]]]:
    table = TASK_CUES if kind == "task" else SUBJECT_CUES
    return {label: compile_cues(cues) for label, cues in table.items()}


def _score(kind: str, text: str, weight: float, head: int = 0) -> dict[str, float]:
    """Sum of cue weights per label; each distinct cue counts once. Cues in the first `head`
    characters count double."""
    totals: dict[str, float] = {}
    for label, cues in _cues(kind).items():
        total = 0.0
        for cue_weight, pattern in cues:
            seen: set[str] = set()
            for match in pattern.finditer(text):
                if match.group() in seen:
                    continue
                seen.add(match.group())
                # A phrase ("cover letter", "coffee cart") is more specific than a word.
                phrase = 1.25 if " " in match.group() else 1.0
                total += cue_weight * phrase * (2 if match.start() < head else 1)
        if total:
            totals[label] = total * weight
    return totals


def _best(totals: dict[str, float], order: list[str]) -> Match:
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    if not ranked:
        return Match(None, 0.0, ())
    return Match(ranked[0][0], ranked[0][1], tuple(ranked))


def _looks_like_code(context: str) -> str | None:
    """'databases' for SQL, 'software' for code or a stack trace, else None."""
    if re.search(
        r"\b(select|insert|update|delete)\b[\s\S]*\b(from|into|set|where)\b", context, re.I
    ):
        return "databases"
    if re.search(
        r"Traceback \(most recent|^\s*(def|class|import|from \S+ import|function|const|let)\s"
        r"|[{};]\s*$|=>|\bException\b|\bError:",
        context,
        re.M,
    ):
        return "software"
    return None


_LEAD_IN = re.compile(
    r"^\W*(?:(?:i|we) (?:need|want|would like|have) (?:you )?(?:to )?|help me (?:to )?|"
    r"(?:can|could|would) you (?:please )?(?:help me )?|please |how (?:do|can|should) (?:i|we) |"
    r"(?:yo )?(?:necesito|quiero|queremos|tengo que|me gustaria) (?:que )?|ayudame a |"
    r"(?:puedes|podrias) (?:ayudarme a )?|por favor |como (?:puedo|hago|podemos) )+"
)
_RECEIVED = re.compile(
    r"\b(?:got|received|receive|get|recibi|recibo|me llego|me ha llegado|me han (?:enviado|mandado)"
    r"|me mandaron) (?:an?|un|una|this|este|esta)? ?(?:\w+ )?(?:email|e-mail|letter|message|text"
    r"|correo|carta|mensaje|notificacion|sms)"
)
_CHOICE = re.compile(
    r"\b\w[\w.+-]* (?:or|o|u|vs\.?|versus) \w[\w.+-]*\b(?:[^?]*\?|(?:\W+\w+){0,6}\W*$)|\bvs\.? "
)


def classify(
    request: str, context: str = "", extra: dict[str, dict[str, float]] | None = None
) -> tuple[Match, Match]:
    """(task, subject) for a cleaned request and its context.

    `extra` adds votes from elsewhere (the nearest examples): {"task": {...}, "subject": {...}}."""
    text = fold(request)
    ctx = fold(context[:4000])
    # The verb usually comes first, after a lead-in such as "I need" or "¿cómo puedo...?".
    lead = _LEAD_IN.match(text)
    head = (lead.end() if lead else 0) + len(
        " ".join(text[lead.end() if lead else 0 :].split()[:3])
    )
    tasks = _score("task", text, 1.0, head)
    if _CHOICE.search(text) and "explain" not in tasks:  # "Postgres or MongoDB for ...?"
        tasks["compare"] = tasks.get("compare", 0.0) + 2.5
    if "write" in tasks and _RECEIVED.search(text):  # "I got an email asking me to ..."
        tasks["write"] *= 0.3
    for label, value in _score("task", ctx, 0.25).items():
        tasks[label] = tasks.get(label, 0.0) + value
    subjects = _score("subject", text, 1.0)
    for label, value in _score("subject", ctx, 0.5).items():
        subjects[label] = subjects.get(label, 0.0) + value
    code = _looks_like_code(context)
    if code:
        subjects[code] = subjects.get(code, 0.0) + 4
    said = dict(subjects)  # what the words themselves say, before any vote
    for kind, votes in (extra or {}).items():
        target = tasks if kind == "task" else subjects
        for label, value in votes.items():
            target[label] = target.get(label, 0.0) + value
    best_subject = max(subjects.items(), key=lambda kv: kv[1])[0] if subjects else None
    # A software subject needs a software word: votes alone must not turn a hobby question into
    # an engineering one.
    if best_subject in SOFTWARE_SUBJECTS and said.get(best_subject, 0.0) < 3:
        for label in SOFTWARE_SUBJECTS:
            if said.get(label, 0.0) < 3 and label in subjects:
                subjects[label] *= 0.3
        best_subject = max(subjects.items(), key=lambda kv: kv[1])[0]
    # Code tasks only make sense for software subjects: "debug my marriage" is advice.
    if best_subject not in SOFTWARE_SUBJECTS:
        for task in SOFTWARE_TASKS - {"document"}:
            if task in tasks:
                tasks[task] *= 0.3
    elif "write" in tasks and any(tasks.get(t, 0) >= 3 for t in SOFTWARE_TASKS):
        tasks["write"] *= 0.4  # "write a function" is code, not prose
    task_order = list(TASK_CUES)
    subject_order = list(SUBJECT_CUES)
    return _best(tasks, task_order), _best(subjects, subject_order)
