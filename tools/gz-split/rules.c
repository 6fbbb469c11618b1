/*
 * rules — one entry per association: its code, its state, how its acts
 * start and how a municipality's name is cleaned.  Adding a state is
 * adding an entry here.
 *
 * Alagoas (AMA): the expressions are those of the system gz replaces
 * (querido-diario-data-processing, segmentation/segmenters/
 * al_associacao_municipios.py), with Python's \s spelled out (PY_S) so
 * PCRE2 matches exactly the characters Python's re does.  An act starts
 * with "ESTADO DE ALAGOAS", one or two newlines, "PREFEITURA MUNICIPAL DE "
 * and the name (one or two lines; not "EDUCAÇÃO...", no second line
 * "VAMOS..."), and its header ends with a newline and white space or
 * SECRETARIA/Secretaria.
 */
#include "split.h"

#include <string.h>

static const char *const al_fixes[][2] = {
	{ "MAJOR IZIDORO", "MAJOR ISIDORO" },
	{ NULL, NULL }
};

static const struct association_rule rules[] = {
	{
		.territory_id = "2700000",
		.state_code = "AL",
		.act_pattern =
		    "(ESTADO" PY_S "DE" PY_S "ALAGOAS(?:|" PY_S ")\\n{1,2}"
		    "PREFEITURA" PY_S "MUNICIPAL" PY_S "DE" PY_S ")"
		    "((?!EDUCAÇÃO).*?\\n{0,2}(?!VAMOS).*?$)"
		    "(\\n" PY_S "(?:" PY_S "|SECRETARIA|Secretaria))",
		.name_suffix =
		    PY_S "*(\\/AL.*|GABINETE DO PREFEITO.*|PODER.*|http.*|"
		    "PORTARIA.*|Extrato.*|ATA DE.*|SECRETARIA.*|Fundo.*|"
		    "SETOR.*|ERRATA.*|- AL.*|GABINETE.*|EXTRATO.*|SÚMULA.*|"
		    "RATIFICAÇÃO.*)",
		.name_fixes = al_fixes,
	},
};

const struct association_rule *
rules_find(const char *territory_id)
{
	size_t i;

	for (i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strcmp(rules[i].territory_id, territory_id) == 0)
			return &rules[i];
	return NULL;
}

/* As the existing system decides: the last five characters, stripped,
 * are "00000". */
bool
rules_is_association(const char *territory_id)
{
	size_t n = strlen(territory_id);

	return n >= 5 && strcmp(territory_id + n - 5, "00000") == 0;
}
