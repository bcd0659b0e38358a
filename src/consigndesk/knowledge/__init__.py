"""Help-centre text handling: analysis for search (jieba, stems, synonyms, typo tolerance), and the
starter knowledge base shipped as data files. Imports only the standard library, jieba and the
domain, so both the services and the database adapter can use it."""
