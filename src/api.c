/*-------------------------------------------------------------------------
 *
 * api.c
 *		Who is calling the scheduler's API, and its bodies run with the
 *		extension owner's rights.
 *
 * The caller is the effective role of the calling context: what
 * current_user is for the code that calls, never session_user or the role
 * setting.  Code of another role can run inside a privileged session (its
 * SECURITY DEFINER function called by an administrator, an index
 * expression evaluated by the administrator's ANALYZE or by autovacuum),
 * and must be taken for that role.
 *
 * The scheduler's API functions change tables that their callers cannot
 * write.  Each is declared in SQL as a C function with the symbol
 * jobmon_api, SECURITY INVOKER, so that GetUserId() here is its caller.
 * jobmon_api records the caller, then calls the function's body, the SQL
 * function _api_<name> with the same arguments in the same schema, as the
 * extension's owner under SECURITY_LOCAL_USERID_CHANGE (as SECURITY
 * DEFINER would).  The bodies ask _caller() who called; they are
 * executable by the owner only, so no one can call a body directly, and
 * no identity is ever passed as an argument that a caller could choose.
 *
 * A body that calls another API function stays on behalf of the first
 * caller: the outermost call decides who is calling.  The bodies run no
 * code of their callers, so nothing else can run while a caller is
 * recorded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/syscache.h"

#include "pg_jobmon.h"

PG_FUNCTION_INFO_V1(jobmon_api);
PG_FUNCTION_INFO_V1(jobmon_caller);

/* The body of an API function, found once per call site (fn_extra). */
typedef struct ApiBody
{
	FmgrInfo	flinfo;			/* _api_<name> */
	Oid			owner;			/* its owner: the extension's */
} ApiBody;

/*
 * The caller of the outermost API call under way, InvalidOid outside one.
 * Module state by design: only this file sets it, around a body's call.
 */
static Oid	api_caller = InvalidOid;

static ApiBody *api_body_lookup(FunctionCallInfo fcinfo);

/*
 * The caller that the bodies see: the outermost API call's; in the log
 * writer's backend, the role a write is made for (log_connection.c: the
 * writer logs in as the extension's owner); else the effective role right
 * now (the dispatcher, the worker).
 */
Oid
jobmon_caller_id(void)
{
	Oid			log_caller;

	if (OidIsValid(api_caller))
		return api_caller;
	log_caller = jobmon_log_caller_id();
	return OidIsValid(log_caller) ? log_caller : GetUserId();
}

/* _caller(): the name of jobmon_caller_id(). */
Datum
jobmon_caller(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(DirectFunctionCall1(namein,
										CStringGetDatum(GetUserNameFromId(jobmon_caller_id(),
																		  false))));
}

/*
 * Find the body of the API function being called: _api_<name>, same
 * schema, same argument types.  Its absence is an installation error.
 */
static ApiBody *
api_body_lookup(FunctionCallInfo fcinfo)
{
	Oid			fn_oid = fcinfo->flinfo->fn_oid;
	HeapTuple	tuple;
	Form_pg_proc api;
	char		body_name[NAMEDATALEN];
	Oid			body_oid;
	ApiBody    *body;

	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", fn_oid);
	api = (Form_pg_proc) GETSTRUCT(tuple);
	snprintf(body_name, sizeof(body_name), "_api_%s", NameStr(api->proname));
	body_oid = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid,
							   CStringGetDatum(body_name),
							   PointerGetDatum(&api->proargtypes),
							   ObjectIdGetDatum(api->pronamespace));
	if (!OidIsValid(body_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function %s has no body %s",
						NameStr(api->proname), body_name),
				 errdetail("pg_jobmon's API functions call a function of the same arguments named _api_<name>."),
				 errhint("Run ALTER EXTENSION pg_jobmon UPDATE, or reinstall the extension.")));
	ReleaseSysCache(tuple);

	body = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ApiBody));
	fmgr_info_cxt(body_oid, &body->flinfo, fcinfo->flinfo->fn_mcxt);
	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(body_oid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for function %u", body_oid);
	body->owner = ((Form_pg_proc) GETSTRUCT(tuple))->proowner;
	ReleaseSysCache(tuple);
	return body;
}

/*
 * Every API function: record the caller (unless a call is already under
 * way), call the body with the same arguments as the body's owner, and
 * restore both, also on error.
 */
Datum
jobmon_api(PG_FUNCTION_ARGS)
{
	ApiBody    *body = fcinfo->flinfo->fn_extra;
	FunctionCallInfo call;
	Oid			saved_caller = api_caller;
	Oid			saved_userid;
	int			saved_sec_context;
	Datum		result;

	if (body == NULL)
		fcinfo->flinfo->fn_extra = body = api_body_lookup(fcinfo);
	/* The executor skips a strict function on a NULL argument; so do we. */
	if (body->flinfo.fn_strict)
		for (int i = 0; i < fcinfo->nargs; i++)
			if (fcinfo->args[i].isnull)
				PG_RETURN_NULL();

	call = palloc(SizeForFunctionCallInfo(fcinfo->nargs));
	InitFunctionCallInfoData(*call, &body->flinfo, fcinfo->nargs,
							 fcinfo->fncollation, NULL, NULL);
	for (int i = 0; i < fcinfo->nargs; i++)
		call->args[i] = fcinfo->args[i];

	GetUserIdAndSecContext(&saved_userid, &saved_sec_context);
	if (!OidIsValid(api_caller))
		api_caller = saved_userid;
	SetUserIdAndSecContext(body->owner, saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		result = FunctionCallInvoke(call);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(saved_userid, saved_sec_context);
		api_caller = saved_caller;
	}
	PG_END_TRY();

	fcinfo->isnull = call->isnull;
	pfree(call);
	return result;
}
